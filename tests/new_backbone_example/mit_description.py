"""Describing a backbone family of your own: SegFormer's Mix Transformer."""
import torch.nn as nn
from mmseg.models.backbones import MixVisionTransformer

from mmpoly.models.archs import (ARCHS, OPENMMLAB_STOCHASTIC, ArchDescription,
                                 BlockInfo, OutputNorm, SubLayer)

NO_LINEARS = ('its attention is torch.nn.MultiheadAttention (q, k, v and '
              'output projections applied functionally) and its MLP uses '
              '1x1 convolutions')


def describe_block(stage: int, index: int, block: nn.Module) -> BlockInfo:
    """A pre-norm block: ``attn(norm1(x), hw, identity=x)``, then
    ``ffn(norm2(y), hw, identity=y)``, both returning the residual sum."""
    return BlockInfo(
        stage=stage,
        index=index,
        block=block,
        dims=block.norm1.normalized_shape[0],
        sublayers=dict(
            attn=SubLayer('attn', block.attn, block.norm1, True,
                          block.attn.proj_drop),
            ffn=SubLayer('ffn', block.ffn, block.norm2, True,
                         block.ffn.dropout_layer)),
        linears={},
        num_heads=block.attn.num_heads)


@ARCHS.register(MixVisionTransformer)
def describe_mit(backbone: nn.Module) -> ArchDescription:
    """``layers[s] = [patch_embed, blocks, norm]``: the stage's norm feeds
    the next stage too, so outputs keep it (``attr=None``) and per-task
    norms come after it."""
    stages = [[describe_block(s, j, b) for j, b in enumerate(layer[1])]
              for s, layer in enumerate(backbone.layers)]
    return ArchDescription(
        family='MixVisionTransformer',
        stages=stages,
        stage_modules=[[layer] for layer in backbone.layers],
        out_norms=tuple(
            OutputNorm(i, None, stages[i][0].dims)
            for i in backbone.out_indices),
        stochastic_types=OPENMMLAB_STOCHASTIC,
        missing=dict(
            qkv=NO_LINEARS,
            proj=NO_LINEARS,
            fc1=NO_LINEARS,
            fc2=NO_LINEARS,
            prompt_attention='its attention is torch.nn.MultiheadAttention'))
