"""Microsoft's official Swin Transformer checkpoints in mmpretrain's names.

The official release (``{'model': {...}}``; what MTLoRA, TADFormer and
DiTASK load) names its tensors after its own modules (official, then
mmpretrain)::

    patch_embed.proj.*                 patch_embed.projection.*
    layers.<i>.blocks.<j>.attn.qkv.*   stages.<i>.blocks.<j>.attn.w_msa.qkv.*
    ...attn.proj.*                     ...attn.w_msa.proj.*
    ...mlp.fc1.*                       ...ffn.layers.0.0.*
    ...mlp.fc2.*                       ...ffn.layers.1.*
    layers.<i>.downsample.*            stages.<i>.downsample.* (permuted)
    norm.*                             norm3.*  (the last stage's)
    head.*                             head.fc.*  (the classifier)

and holds buffers that mmpretrain computes itself (``relative_position_index``
and the shifted blocks' ``attn_mask``), which are dropped.

Patch merging gathers the 2 x 2 neighbours of a pixel in another order.
The official ``PatchMerging`` concatenates ``x0, x1, x2, x3 =
x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2]``: input
feature ``k * C + c`` for channel ``c`` of the neighbour at row offset
``k % 2`` and column offset ``k // 2``. mmpretrain's (MMCV's) uses
``nn.Unfold(kernel_size=2, stride=2)``, which lists, per channel, the
kernel positions row by row: feature ``c * 4 + 2 * row + col``. The
columns of the merge's ``reduction`` weight and the entries of its
``norm`` (both over the ``4C`` merged features) are therefore permuted:
mmpretrain's feature ``c * 4 + p`` is official feature
``OFFICIAL_NEIGHBOUR[p] * C + c`` with ``OFFICIAL_NEIGHBOUR = (0, 2, 1,
3)`` (the neighbour at row ``p // 2``, column ``p % 2``).
"""
import re
from typing import Dict, Mapping

import torch

#: For each Unfold kernel position ``p = 2 * row + col``, the index of the
#: same neighbour in the official concatenation (``row + 2 * col``).
OFFICIAL_NEIGHBOUR = (0, 2, 1, 3)

#: Renamed parts of the official names (applied in order).
_RENAMES = (
    (r'^patch_embed\.proj\.', 'patch_embed.projection.'),
    (r'^layers\.(\d+)\.', r'stages.\1.'),
    (r'\.attn\.(qkv|proj|relative_position_bias_table)', r'.attn.w_msa.\1'),
    (r'\.mlp\.fc1\.', '.ffn.layers.0.0.'),
    (r'\.mlp\.fc2\.', '.ffn.layers.1.'),
)

#: Buffers of the official model that mmpretrain computes itself.
_COMPUTED = ('relative_position_index', 'attn_mask')

#: Tensors of Swin V2, which this conversion does not cover.
_SWIN_V2 = ('cpb_mlp', 'logit_scale')


class SwinLayoutError(ValueError):
    """An official-looking Swin state dict this module cannot convert."""


def is_official_swin(state: Mapping) -> bool:
    """Whether ``state`` has the official Swin release's key names."""
    return 'patch_embed.proj.weight' in state and any(
        isinstance(k, str) and k.startswith('layers.') for k in state)


def merge_to_unfold_order(tensor: torch.Tensor) -> torch.Tensor:
    """Permute the ``4C`` merged features (the last dimension) of a patch
    merging ``reduction`` weight ``(2C, 4C)`` or ``norm`` tensor ``(4C,)``
    from the official order to mmpretrain's (see the module docstring)."""
    *lead, merged = tensor.shape
    channels = merged // 4
    grouped = tensor.reshape(*lead, 4, channels)
    grouped = grouped[..., list(OFFICIAL_NEIGHBOUR), :]
    return grouped.transpose(-1, -2).reshape(*lead, merged).contiguous()


def convert_official_swin(
        state: Mapping[str, torch.Tensor],
        source: str = 'the checkpoint') -> Dict[str, torch.Tensor]:
    """An official Swin (V1) state dict in mmpretrain's classifier names.

    Args:
        state: The official state dict (the checkpoint's ``'model'``).
        source: Where it comes from, for error messages.

    Returns:
        ``backbone.<mmpretrain SwinTransformer name>`` for every backbone
        tensor, ``head.fc.weight`` / ``head.fc.bias`` for the classifier;
        computed buffers are left out.

    Raises:
        SwinLayoutError: a Swin V2 checkpoint, or no ``layers.<i>`` keys.
    """
    v2 = [k for k in state if any(p in k for p in _SWIN_V2)]
    if v2:
        raise SwinLayoutError(
            f'{source} is an official Swin V2 checkpoint ({v2[0]}); only '
            'Swin V1 (mmpretrain.SwinTransformer) checkpoints are converted')
    stages = {
        int(m.group(1))
        for m in (re.match(r'^layers\.(\d+)\.', k) for k in state) if m
    }
    if not stages:
        raise SwinLayoutError(f'{source} has no layers.<i> tensors of an '
                              'official Swin checkpoint')
    last = max(stages)
    out: Dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.split('.')[-1] in _COMPUTED:
            continue
        if key.startswith('head.'):
            out['head.fc.' + key[len('head.'):]] = value
            continue
        name = key
        for pattern, repl in _RENAMES:
            name = re.sub(pattern, repl, name)
        if name.startswith('norm.'):
            name = f'norm{last}.' + name[len('norm.'):]
        if '.downsample.' in name and name.rsplit(
                '.', 1)[-1] in ('weight', 'bias') and value.dim() >= 1:
            value = merge_to_unfold_order(value)
        out['backbone.' + name] = value
    return out
