"""ConvNeXt (``mmpretrain.ConvNeXt``, V1 and V2 weights) as the tuners see
it.

``downsample_layers[s]`` (the stem for ``s = 0``) then ``stages[s]``, a
sequence of blocks. A block has a single residual branch, which mmpoly
calls ``ffn``: ``x + DP(γ · fc2(act(fc1(LN(dwconv(x))))))`` on
``(N, C, H, W)`` maps, the pointwise layers being ``nn.Linear`` over
channels-last tokens (``pointwise_conv1`` / ``pointwise_conv2``, mmpoly's
``fc1`` / ``fc2``; V2 adds GRN between them). There is no attention. Output
``i`` is normalised by ``norm{i}``, an ``LN2d`` over ``(N, C, H, W)``.
"""
from typing import List

import torch.nn as nn
from mmpretrain.models.backbones import ConvNeXt

from .common import OPENMMLAB_STOCHASTIC
from .description import (ArchDescription, BlockInfo, OutputNorm, SubLayer,
                          UnsupportedBackboneError)
from .registry import ARCHS

_NO_ATTENTION = ('ConvNeXt blocks have no attention (a depthwise '
                 'convolution and an MLP only)')


def _block(stage: int, index: int, block: nn.Module) -> BlockInfo:
    return BlockInfo(
        stage=stage,
        index=index,
        block=block,
        dims=block.depthwise_conv.in_channels,
        sublayers=dict(
            ffn=SubLayer(
                'ffn',
                block,
                None,
                True,
                block.pointwise_conv2,
                channels_last=False,
                output_has_residual=True)),
        linears=dict(fc1=block.pointwise_conv1, fc2=block.pointwise_conv2))


@ARCHS.register(ConvNeXt)
def describe_convnext(backbone: nn.Module) -> ArchDescription:
    """Stages, blocks, the MLP branch and output norms of a ConvNeXt."""
    if getattr(backbone, 'gap_before_final_norm', False):
        raise UnsupportedBackboneError(
            'ConvNeXt with gap_before_final_norm=True outputs pooled '
            'vectors; dense tasks need gap_before_final_norm=False')
    if not backbone.stages[0][0].linear_pw_conv:
        raise UnsupportedBackboneError(
            'ConvNeXt with linear_pw_conv=False (1x1 convolutions) is not '
            "described; use mmpretrain's default linear_pw_conv=True (the "
            'same weights)')
    stages: List[List[BlockInfo]] = [[
        _block(s, j, block) for j, block in enumerate(stage)
    ] for s, stage in enumerate(backbone.stages)]
    return ArchDescription(
        family=type(backbone).__name__,
        stages=stages,
        stage_modules=[[
            down, stage
        ] for down, stage in zip(backbone.downsample_layers, backbone.stages)],
        out_norms=tuple(
            OutputNorm(
                i, f'norm{i}', backbone.channels[i], channels_last=False)
            for i in backbone.out_indices),
        stochastic_types=OPENMMLAB_STOCHASTIC,
        missing=dict(
            attn=_NO_ATTENTION,
            qkv=_NO_ATTENTION,
            proj=_NO_ATTENTION,
            prompt_attention=_NO_ATTENTION,
            merge_linears='its stages are joined by strided convolutions, '
            'not patch merging with a Linear reduction'))
