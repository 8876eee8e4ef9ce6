"""Plain Vision Transformer (``mmpretrain.VisionTransformer``: DeiT, DINOv2,
EVA-style ViTs with MMCV FFNs) as the tuners see it.

``layers[i]`` are pre-norm blocks: ``y = x + attn(ln1(x))``,
``z = ffn(ln2(y), identity=y)`` with a fused ``attn.qkv``, ``attn.proj``
and an MMCV ``FFN``. A plain ViT has one width and no stages; mmpoly groups
the layers into one "stage" per output: stage ``s`` ends at layer
``out_indices[s]`` (the last output must be the last layer's), so that
methods with per-stage modules (Polyhistor's hypernetworks, MTLoRA's task
blocks) have four stages as on a hierarchical backbone. All stages have the
same width, so Polyhistor-Lite's stage scaling is 1 everywhere. Outputs are
``(N, C, H, W)`` maps (``out_type='featmap'``); only the last layer's is
normalised (``ln1``, with ``final_norm=True``).
"""
from typing import List

import torch
import torch.nn as nn
from mmpretrain.models.backbones import VisionTransformer

from ..common import OPENMMLAB_STOCHASTIC, pre_norm_sublayers
from ..description import (ArchDescription, BlockInfo, OutputNorm,
                           UnsupportedBackboneError)
from ..registry import ARCHS
from .prompted_attention import prompted_token_attention


def _attention_from_projection(attn: nn.Module, o: torch.Tensor,
                               x: torch.Tensor) -> torch.Tensor:
    """The ``MultiheadAttention``'s output (called as ``attn(x)``) from
    ``o`` ``(N, L, C)``, the input of its ``proj``: projection, dropout,
    layer scale, drop path (``v_shortcut`` is refused when described)."""
    return attn.out_drop(attn.gamma1(attn.proj_drop(attn.proj(o))))


def _block(stage: int, index: int, layer: nn.Module) -> BlockInfo:
    attn, ffn = layer.attn, layer.ffn
    if not hasattr(ffn, 'layers'):
        raise UnsupportedBackboneError(
            f'VisionTransformer layers with a {type(ffn).__name__} FFN '
            "are not described (ffn_type='origin' expected)")
    if getattr(attn, 'v_shortcut', False):
        raise UnsupportedBackboneError(
            'VisionTransformer attention with v_shortcut is not described')
    linears = [m for m in ffn.layers.modules() if isinstance(m, nn.Linear)]
    return BlockInfo(
        stage=stage,
        index=index,
        block=layer,
        dims=layer.embed_dims,
        sublayers=pre_norm_sublayers(layer.ln1, attn, attn.proj, layer.ln2,
                                     ffn),
        linears=dict(
            qkv=attn.qkv, proj=attn.proj, fc1=linears[0], fc2=linears[-1]),
        attention=attn,
        num_heads=attn.num_heads)


def _stage_ends(backbone: nn.Module) -> List[int]:
    ends = list(backbone.out_indices)
    last = len(backbone.layers) - 1
    if ends != sorted(set(ends)) or ends[-1] != last:
        raise UnsupportedBackboneError(
            f'VisionTransformer out_indices must increase and end at the '
            f'last layer ({last}), got {tuple(ends)}')
    return ends


@ARCHS.register(VisionTransformer)
def describe_vit(backbone: nn.Module) -> ArchDescription:
    """Layers grouped into stages at the outputs, and output norms."""
    if backbone.out_type != 'featmap':
        raise UnsupportedBackboneError(
            f"VisionTransformer out_type={backbone.out_type!r}: dense tasks "
            "need out_type='featmap'")
    stages, start = [], 0
    for s, end in enumerate(_stage_ends(backbone)):
        stages.append([
            _block(s, j, backbone.layers[i])
            for j, i in enumerate(range(start, end + 1))
        ])
        start = end + 1
    last = len(backbone.layers) - 1
    width = backbone.embed_dims
    return ArchDescription(
        family=type(backbone).__name__,
        stages=stages,
        stage_modules=[[b.block for b in blocks] for blocks in stages],
        out_norms=tuple(
            OutputNorm(s, 'ln1' if i == last and backbone.final_norm else None,
                       width) for s, i in enumerate(backbone.out_indices)),
        stochastic_types=OPENMMLAB_STOCHASTIC,
        prompt_attention=prompted_token_attention,
        attention_from_projection=_attention_from_projection,
        missing=dict(merge_linears='a plain ViT keeps one resolution: it '
                     'has no patch merging'))
