"""Drop path of the wrapped backbone in one pass over its input.

MMCV's ``drop_path`` (every OpenMMLab backbone's stochastic depth) returns
``x.div(keep) * mask``, ``mask`` one 0 or 1 per sample: two passes over
``x`` forward and two backward. ``x.div(keep / mask)`` is the same random
draw and the same numbers (where ``mask`` is 1, ``x / keep``; where it is
0, a zero of ``x``'s sign, as ``(x / keep) · 0``), forward and backward, in
one pass. :class:`~mmpoly.models.backbones.PEFTBackbone` installs it on the
backbone's ``DropPath`` layers (instance ``forward`` overrides: the modules
and their state-dict keys are unchanged).
"""
from functools import partial
from typing import List

import torch
import torch.nn as nn
from mmcv.cnn.bricks.drop import DropPath, drop_path

from ..tuners.sites import ForwardOverride

#: Dtypes whose division by a per-sample tensor is MMCV's division by the
#: Python scalar ``keep`` (reduced-precision inputs keep MMCV's own code).
EXACT_DTYPES = (torch.float32, torch.float64)


def one_pass_drop_path(module: DropPath, x: torch.Tensor) -> torch.Tensor:
    """What ``module(x)`` computes, in one pass over ``x`` (``(N, ...)``)."""
    if module.drop_prob == 0. or not module.training:
        return x
    if x.dtype not in EXACT_DTYPES:
        return drop_path(x, module.drop_prob, module.training)
    keep = 1 - module.drop_prob
    shape = (x.shape[0], ) + (1, ) * (x.ndim - 1)
    mask = (keep + torch.rand(shape, dtype=x.dtype, device=x.device)).floor_()
    return x.div(keep / mask)


def use_one_pass_drop_path(model: nn.Module) -> List[ForwardOverride]:
    """Install :func:`one_pass_drop_path` on every MMCV ``DropPath`` of
    ``model``; returns the overrides (``remove()`` restores MMCV's)."""
    return [
        ForwardOverride(m, partial(one_pass_drop_path, m))
        for m in model.modules() if type(m) is DropPath
    ]
