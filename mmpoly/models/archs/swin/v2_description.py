"""Swin Transformer V2 (``mmpretrain.SwinTransformerV2``) as the tuners
see it.

``stages[s]`` starts with its patch merging (``downsample``, stages 1-3),
then ``blocks``. A block is post-norm: ``y = x + norm1(attn(x))``,
``z = y + norm2(ffn(y))`` (drop-path inside ``attn`` / ``ffn``); its window
attention (``attn.w_msa``, a ``WindowMSAV2``) is cosine attention with a
continuous position bias, and applies its ``qkv`` weight functionally (with
the separate q / v biases), so only ``proj``, ``fc1`` and ``fc2`` are Linear
modules it calls. Output ``i`` is normalised by ``norm{i}`` (channels last).
"""
from typing import List

import torch.nn as nn
from mmpretrain.models.backbones import SwinTransformerV2

from ..common import OPENMMLAB_STOCHASTIC, mlp_linears
from ..description import (ArchDescription, BlockInfo, OutputNorm, SubLayer,
                           UnsupportedBackboneError)
from ..registry import ARCHS

_NO_QKV = ("Swin-V2's WindowMSAV2 applies its qkv weight functionally "
           '(F.linear with the q/v biases), so no term can be added to it')
_NO_PROMPTS = ("Swin-V2's cosine window attention with a continuous "
               'position bias has no prompted variant in mmpoly')


def _block(stage: int, index: int, block: nn.Module) -> BlockInfo:
    try:
        w_msa = block.attn.w_msa
        return BlockInfo(
            stage=stage,
            index=index,
            block=block,
            dims=block.norm1.normalized_shape[0],
            # post-norm: the norms' outputs are the branches, the block
            # adds the residuals after them
            sublayers=dict(
                attn=SubLayer(
                    'attn',
                    block.attn,
                    block.norm1,
                    False,
                    w_msa,
                    output_has_residual=False),
                ffn=SubLayer(
                    'ffn',
                    block.ffn,
                    block.norm2,
                    False,
                    block.ffn.layers,
                    output_has_residual=False)),
            linears=dict(proj=w_msa.proj, **mlp_linears(block.ffn)),
            num_heads=w_msa.num_heads)
    except AttributeError as e:
        raise UnsupportedBackboneError(
            f'stages[{stage}].blocks[{index}] is not a Swin-V2 block '
            f'(attn.w_msa / norm1 / ffn / norm2 expected): {e}') from None


@ARCHS.register(SwinTransformerV2)
def describe_swin_v2(backbone: nn.Module) -> ArchDescription:
    """Stages, blocks, sub-layers and output norms of a Swin-V2."""
    stages: List[List[BlockInfo]] = [[
        _block(s, j, block) for j, block in enumerate(stage.blocks)
    ] for s, stage in enumerate(backbone.stages)]
    return ArchDescription(
        family=type(backbone).__name__,
        stages=stages,
        stage_modules=[[stage] for stage in backbone.stages],
        out_norms=tuple(
            OutputNorm(i, f'norm{i}', backbone.stages[i].out_channels)
            for i in backbone.out_indices),
        stochastic_types=OPENMMLAB_STOCHASTIC,
        missing=dict(
            qkv=_NO_QKV,
            prompt_attention=_NO_PROMPTS,
            merge_linears='mmpoly does not describe Swin-V2\'s patch '
            'merging (it starts the next stage)'))
