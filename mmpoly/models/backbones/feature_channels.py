"""Reading the widths of a backbone's output features from the module."""
from typing import Optional, Tuple

import torch.nn as nn

from ..archs import ARCHS, UnsupportedBackboneError


def feature_channels(backbone: nn.Module) -> Optional[Tuple[int, ...]]:
    """Channels of each output of ``backbone``, if the module tells.

    Understands backbones with ``num_features`` per stage and
    ``out_indices`` (mmpretrain and MMSeg Swin), wrappers that define
    ``feature_channels``, and every family described in ``ARCHS``.

    Returns:
        One width per output, or None when unknown.
    """
    own = getattr(backbone, 'feature_channels', None)
    if own is not None and not callable(own):
        return tuple(own)
    widths = getattr(backbone, 'num_features', None)
    indices = getattr(backbone, 'out_indices', None)
    if widths is None or indices is None:
        try:  # a described family (Swin-V2, ConvNeXt...) knows its widths
            return ARCHS.describe(backbone).out_widths
        except UnsupportedBackboneError:
            return None
    if isinstance(widths, int):
        return tuple(widths for _ in indices)
    return tuple(int(widths[i]) for i in indices)
