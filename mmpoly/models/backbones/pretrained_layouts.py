"""Which layout a pretrained checkpoint has, and its backbone tensors.

Users hold Swin weights in several layouts; :func:`backbone_state_from`
recognises each and returns the backbone's tensors under the backbone's own
(mmpretrain) names:

- mmpretrain / MMPretrain-converted files: ``state_dict`` with
  ``backbone.``-prefixed keys (zip or legacy ``torch.save``);
- mmcls v0 model-zoo files (what the configs name): the same, with the last
  stage's norm named ``norm`` instead of ``norm3`` and ``attn_mask``
  buffers;
- Microsoft's official release: ``{'model': {'layers.0.blocks...'}}``,
  converted by :func:`~mmpoly.models.archs.swin.convert_official_swin`;
- a bare backbone state dict (MMSeg's converted pretraining files), when
  no key has the prefix but the keys are the backbone's own.
"""
import re
from typing import Dict, Mapping, Optional, Tuple

import torch

from ..archs.swin import convert_official_swin, is_official_swin

#: Buffers a backbone computes from its configuration (Swin's index and
#: shift mask, Swin-V2's log-spaced coordinates); never taken from files.
COMPUTED_BUFFERS = ('relative_position_index', 'attn_mask',
                    'relative_coords_table')

#: How many names an error lists.
SHOWN = 3


class PretrainedLayoutError(ValueError):
    """A pretrained checkpoint without tensors for the backbone."""


def is_computed(name: str) -> bool:
    """Whether ``name`` is a buffer the model computes itself."""
    return name.rsplit('.', 1)[-1] in COMPUTED_BUFFERS


def _model_state(checkpoint) -> Tuple[Mapping, str]:
    """The tensor dict inside a loaded checkpoint and the key it was under."""
    if not isinstance(checkpoint, Mapping):
        return {}, ''
    for key in ('state_dict', 'model'):
        inner = checkpoint.get(key)
        if isinstance(inner, Mapping):
            return inner, key
    return checkpoint, ''


def _strip(state: Mapping, prefix: str) -> Dict[str, torch.Tensor]:
    return {
        k[len(prefix):]: v
        for k, v in state.items()
        if isinstance(k, str) and k.startswith(prefix)
    }


def _some(names) -> str:
    names = list(names)
    more = len(names) - SHOWN
    return ', '.join(names[:SHOWN]) + (f' and {more} more' if more > 0 else '')


def _rename_mmcls_v0(state: Dict[str, torch.Tensor],
                     own: Mapping[str, torch.Tensor]) -> bool:
    """mmcls v0 names: the last stage's ``norm`` becomes ``norm<last>``
    when the model has that norm and no plain ``norm``. Returns whether
    anything was renamed."""
    norms = sorted(
        int(m.group(1)) for m in (re.match(r'^norm(\d+)\.', k) for k in own)
        if m)
    if not norms or 'norm.weight' in own or 'norm.weight' not in state:
        return False
    last = f'norm{norms[-1]}.'
    for key in [k for k in state if k.startswith('norm.')]:
        state[last + key[len('norm.'):]] = state.pop(key)
    return True


def backbone_state_from(checkpoint, prefix: Optional[str],
                        own: Mapping[str, torch.Tensor],
                        filename: str) -> Tuple[Dict[str, torch.Tensor], str]:
    """The backbone tensors of a loaded pretrained checkpoint.

    Args:
        checkpoint: What ``torch.load`` returned.
        prefix: The backbone's prefix in the file (``init_cfg.prefix``,
            e.g. ``'backbone.'``), or None for keys used as they are.
        own: The backbone's own state dict (its names decide the
            layout of bare and mmcls v0 files).
        filename: For messages.

    Returns:
        ``(state, layout)``: the tensors under the backbone's names, without
        computed buffers, and a few words naming the layout for the log.

    Raises:
        PretrainedLayoutError: nothing in the file is the backbone's.
        SwinLayoutError: an official checkpoint this version cannot convert.
    """
    state, container = _model_state(checkpoint)
    state = {
        re.sub(r'^module\.', '', k): v
        for k, v in state.items() if isinstance(k, str)
    }
    layout = 'mmpretrain layout'
    if is_official_swin(state):
        state = convert_official_swin(state, filename)
        layout = 'official Swin layout, converted'
        prefix = 'backbone.'  # the converted names' prefix
    if prefix:
        picked = _strip(state, prefix)
        if not picked:
            if any(k in own for k in state):
                picked, layout = dict(state), 'bare backbone state dict'
            else:
                keys = [k for k in state]
                raise PretrainedLayoutError(
                    f'pretrained checkpoint {filename} has no {prefix!r} '
                    'tensors and no tensor of the backbone under its own '
                    f'name (it has {len(keys)} keys' +
                    (f' under {container!r}' if container else '') +
                    (f': {_some(keys)}' if keys else '') + '); expected '
                    'an mmpretrain, mmcls v0 or official Swin checkpoint')
        state = picked
    elif layout == 'mmpretrain layout':  # no prefix: the backbone's names
        layout = 'bare backbone state dict'
    if _rename_mmcls_v0(state, own) and layout == 'mmpretrain layout':
        layout = 'mmcls v0 layout'
    state = {k: v for k, v in state.items() if not is_computed(k)}
    return state, layout


def pretrained_file_layout(checkpoint) -> Optional[str]:
    """The layout of a pretrained backbone file (a classifier's or a bare
    backbone's weights, or the official Swin release), or None for
    anything else (a checkpoint of a segmentation model)."""
    state, container = _model_state(checkpoint)
    keys = [k for k in state if isinstance(k, str)]
    if not keys:
        return None
    if is_official_swin(state):
        return 'official Swin layout'
    if any(k.startswith('decode_head') for k in keys):
        return None
    if all(k.startswith(('backbone.', 'head.'))
           for k in keys) and any(k.startswith('head.') for k in keys):
        return 'classifier (mmpretrain / mmcls) layout'
    if all(k.startswith(('patch_embed.', 'stages.', 'norm')) for k in keys):
        return 'bare backbone state dict'
    return None


def refuse_pretrained_file(model: torch.nn.Module, checkpoint,
                           filename: str) -> None:
    """Refuse a pretrained backbone file given where a checkpoint of the
    whole model is expected (``load_from``, ``--resume``,
    ``tools/test.py``, the inferencer's weights).

    Raises:
        PretrainedLayoutError: one line naming the layout and the option
            that loads the file as the backbone's pretrained weights.
    """
    layout = pretrained_file_layout(checkpoint)
    if layout is None:
        return
    backbone = getattr(model, 'backbone', None)
    where = 'model.backbone'
    if isinstance(getattr(backbone, 'backbone', None), torch.nn.Module):
        where = 'model.backbone.backbone'  # PEFTBackbone wraps the Swin
    convert = (', or convert it once with '
               'tools/model_converters/swin2mmpretrain.py'
               if layout.startswith('official') else '')
    raise PretrainedLayoutError(
        f'{filename} holds pretrained backbone weights ({layout}), not a '
        'checkpoint of this model (no decode heads): load it as the '
        f'backbone\'s pretrained weights with --cfg-options '
        f'{where}.init_cfg.checkpoint={filename} (recognised and converted '
        f'when the model is built){convert}')
