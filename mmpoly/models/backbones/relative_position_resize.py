"""Resizing Swin's relative-position bias tables to another window size.

A window-attention layer with window ``W`` holds a table of
``(2W - 1) ** 2`` relative positions by ``num_heads``. Loading weights
pretrained with another window (Swin-B ImageNet-22k at window 12 into a
window-7 model) needs the table of each head resized over its
``(2W - 1) x (2W - 1)`` grid. mmpretrain does that with SciPy's
``interp2d``, which SciPy 1.14 removed; this module does it in PyTorch,
bicubic as timm does, before the state dict reaches mmpretrain.
"""
import math
from typing import Dict, List, Mapping, Tuple

import torch
import torch.nn.functional as F

#: The name every relative-position table ends with (mmpretrain, MMSeg and
#: the official Swin release alike).
TABLE_SUFFIX = 'relative_position_bias_table'


class RelativePositionResizeError(ValueError):
    """A relative-position table that cannot be resized to the model's."""


def unresizable_table(filename: str, key: str, got: tuple,
                      want: tuple) -> RelativePositionResizeError:
    """The one-line error of a table that cannot be resized."""
    return RelativePositionResizeError(
        f'pretrained checkpoint {filename}: {key} has shape {tuple(got)} '
        f'and the model\'s is {tuple(want)}; only a square window of another '
        'size can be resized (same number of heads, (2W - 1)^2 positions)')


def table_side(length: int) -> int:
    """The side ``2W - 1`` of a square table of ``length`` positions, or
    0 when ``length`` is not the square of an odd number."""
    side = math.isqrt(length)
    return side if side * side == length and side % 2 == 1 else 0


def resize_relative_position_table(table: torch.Tensor,
                                   length: int) -> torch.Tensor:
    """Resize one table to ``length`` relative positions.

    Args:
        table: ``(L1, num_heads)`` with ``L1 = (2 * W1 - 1) ** 2``.
        length: ``L2 = (2 * W2 - 1) ** 2``.

    Returns:
        ``(L2, num_heads)``, each head's ``(2W1 - 1)`` square grid resized
        bicubically (``align_corners=False``) to ``(2W2 - 1)``, in the
        table's dtype.

    Raises:
        ValueError: a length that is not the square of an odd number.
    """
    src, dst = table_side(table.shape[0]), table_side(length)
    if not src or not dst:
        raise ValueError(f'{table.shape[0]} and {length} must both be '
                         '(2W - 1)^2 positions')
    heads = table.shape[1]
    grid = table.detach().float().t().reshape(1, heads, src, src)
    out = F.interpolate(
        grid, size=(dst, dst), mode='bicubic', align_corners=False)
    return out.reshape(heads, dst * dst).t().contiguous().to(table.dtype)


def resize_relative_position_tables(state: Dict[str, torch.Tensor],
                                    own: Mapping[str, torch.Tensor],
                                    filename: str) -> List[Tuple[int, int]]:
    """Resize, in place, the tables of ``state`` whose size differs from
    the model's.

    Args:
        state: The pretrained state dict, with the model's key names.
        own: The model's state dict (its shapes are the targets).
        filename: The pretrained file, for the error message.

    Returns:
        ``(W1, W2)`` window sizes of each resized table.

    Raises:
        RelativePositionResizeError: a table with another number of heads,
            or a size that is not a square window: one line naming the
            tensor and both shapes.
    """
    resized = []
    for key, value in list(state.items()):
        if not key.endswith(TABLE_SUFFIX) or key not in own:
            continue
        target = own[key].shape
        if tuple(value.shape) == tuple(target):
            continue
        if (value.dim() != 2 or len(target) != 2 or value.shape[1] != target[1]
                or not table_side(value.shape[0])
                or not table_side(target[0])):
            raise unresizable_table(filename, key, value.shape, target)
        state[key] = resize_relative_position_table(value, target[0])
        resized.append(((table_side(value.shape[0]) + 1) // 2,
                        (table_side(target[0]) + 1) // 2))
    return resized
