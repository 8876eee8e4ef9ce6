"""Pieces shared by the family describers."""
from typing import Tuple

import torch.nn as nn
from mmcv.cnn.bricks.drop import DropPath

from .description import SubLayer

#: Stochastic layers of the OpenMMLab backbones (MMCV's drop-path, dropout).
OPENMMLAB_STOCHASTIC: Tuple[type, ...] = (nn.Dropout, DropPath)


def mlp_linears(ffn: nn.Module) -> dict:
    """``fc1`` / ``fc2``: the first and last ``nn.Linear`` of an MMCV
    ``FFN`` (its ``layers`` hold ``Sequential(Linear, act, drop)``, ...,
    ``Linear``)."""
    linears = [m for m in ffn.layers.modules() if isinstance(m, nn.Linear)]
    return dict(fc1=linears[0], fc2=linears[-1])


def pre_norm_sublayers(norm1: nn.Module, attn: nn.Module,
                       attn_branch: nn.Module, norm2: nn.Module,
                       ffn: nn.Module) -> dict:
    """``attn`` and ``ffn`` sub-layers of a pre-norm transformer block,
    ``x + attn(norm1(x))`` then ``ffn(norm2(y), identity=y)``: the block
    adds the attention's residual, the MMCV ``FFN`` returns the sum
    ``y + DP(layers(norm2(y)))`` itself (``output_has_residual``)."""
    return dict(
        attn=SubLayer('attn', attn, norm1, True, attn_branch),
        ffn=SubLayer(
            'ffn', ffn, norm2, True, ffn.layers, output_has_residual=True))
