"""Swin Transformer (v1) as the tuners see it.

Works with ``mmpretrain.SwinTransformer`` and MMSeg's ``SwinTransformer``:
``stages[s]`` holds ``blocks`` (then a patch-merging ``downsample``); a
block computes ``y = x + DP(attn(norm1(x)))`` then ``z = ffn(norm2(y),
identity=y)`` (pre-norm), its ``attn`` a ``ShiftWindowMSA`` whose
``w_msa`` holds ``qkv`` (fused q;k;v), ``proj`` and the
relative-position bias table; ``ffn`` an MMCV ``FFN``. Output ``i`` is
normalised by ``norm{i}`` over channels-last tokens; with mmpretrain's
``out_after_downsample=True`` it is taken after the stage's patch merging
(192/384/768/768 channels at strides 8/16/32/32 for Swin-T, the MTLoRA
protocol's features).
"""
from typing import Callable, List, Optional, Tuple

import torch
import torch.nn as nn
from mmpretrain.models.backbones import SwinTransformer as PretrainSwin
from mmseg.models.backbones import SwinTransformer as SegSwin

from .prompted_attention import prompted_window_attention
from .task_prompt_attention import (SWIN_TASK_PROMPT_ATTENTION,
                                    project_window_attention,
                                    windows_to_tokens)
from ..common import OPENMMLAB_STOCHASTIC, mlp_linears, pre_norm_sublayers
from ..description import (ArchDescription, BlockInfo, OutputNorm,
                           UnsupportedBackboneError)
from ..registry import ARCHS


def _block(stage: int, index: int, block: nn.Module) -> BlockInfo:
    try:
        w_msa = block.attn.w_msa
        return BlockInfo(
            stage=stage,
            index=index,
            block=block,
            dims=block.norm1.normalized_shape[0],
            sublayers=pre_norm_sublayers(block.norm1, block.attn, w_msa,
                                         block.norm2, block.ffn),
            linears=dict(
                qkv=w_msa.qkv, proj=w_msa.proj, **mlp_linears(block.ffn)),
            attention=w_msa,
            num_heads=w_msa.num_heads)
    except AttributeError as e:
        raise UnsupportedBackboneError(
            f'stages[{stage}].blocks[{index}] is not a Swin block (norm1 / '
            f'attn.w_msa / norm2 / ffn expected): {e}') from None


@ARCHS.register(PretrainSwin, SegSwin)
def describe_swin(backbone: nn.Module) -> ArchDescription:
    """Stages, blocks, sub-layers and output norms of a Swin (v1)."""
    stages: List[List[BlockInfo]] = [[
        _block(s, j, block) for j, block in enumerate(stage.blocks)
    ] for s, stage in enumerate(backbone.stages)]
    widths = backbone.num_features
    merged = getattr(backbone, 'out_after_downsample', False)
    return ArchDescription(
        family=type(backbone).__name__,
        stages=stages,
        stage_modules=[[stage] for stage in backbone.stages],
        out_norms=tuple(
            OutputNorm(
                i,
                f'norm{i}',
                int(widths[i]),
                merge=_merging(backbone.stages[i]) if merged else None)
            for i in backbone.out_indices),
        stochastic_types=OPENMMLAB_STOCHASTIC,
        prompt_attention=prompted_window_attention,
        merge_linears=[
            None if stage.downsample is None else stage.downsample.reduction
            for stage in backbone.stages
        ],
        token_grid=_token_grid,
        task_prompt_attention=SWIN_TASK_PROMPT_ATTENTION,
        attention_from_projection=_attention_from_projection)


def _attention_from_projection(module: nn.Module, o: torch.Tensor,
                               query: torch.Tensor,
                               hw_shape: Tuple[int, int]) -> torch.Tensor:
    """A ``ShiftWindowMSA``'s output (called as ``module(query,
    hw_shape)``) from ``o`` ``(B * nW, window², C)``, the input of its
    ``w_msa.proj``: projected, windows merged, shift undone, padding
    cropped, drop path."""
    windows = project_window_attention(module.w_msa, o)
    return module.drop(windows_to_tokens(module, windows, hw_shape))


def _token_grid(args: tuple) -> Tuple[int, int]:
    """A Swin block is called as ``block(x, hw_shape)``."""
    return tuple(args[1])


def _merging(stage: nn.Module) -> Optional[Callable]:
    """The stage's patch merging applied to its last block's output (the
    block's ``hw_shape`` argument is the grid it merges)."""
    if stage.downsample is None:
        return None

    merging = stage.downsample

    def merge(y: torch.Tensor, args: tuple) -> torch.Tensor:
        h, w = args[1]
        if h % 2 or w % 2 or not _plain_2x2_merging(merging):
            return merging(y, args[1])[0]
        return _merge_2x2(merging, y, h, w)

    return merge


def _plain_2x2_merging(merging: nn.Module) -> bool:
    """Whether a ``PatchMerging`` takes each 2x2 patch without overlap or
    padding of its own, its norm before its reduction (mmpretrain's and
    MMSeg's Swin)."""
    sampler = getattr(merging, 'sampler', None)
    if not isinstance(sampler, nn.Unfold) or getattr(merging, 'use_post_norm',
                                                     False):
        return False
    settings = (sampler.kernel_size, sampler.stride, sampler.dilation,
                sampler.padding)
    return [
        tuple(v) if isinstance(v, (tuple, list)) else (v, v) for v in settings
    ] == [(2, 2), (2, 2), (1, 1), (0, 0)]


def _merge_2x2(merging: nn.Module, y: torch.Tensor, h: int,
               w: int) -> torch.Tensor:
    """What ``merging(y, (h, w))[0]`` computes (even ``h`` and ``w``), its
    ``nn.Unfold`` replaced by one permutation into the same channel order
    (channel-major, then the patch's rows and columns): one copy instead
    of the unfold's two and the norm's, and likewise backward."""
    n, _, c = y.shape
    x = y.reshape(n, h // 2, 2, w // 2, 2, c).permute(0, 1, 3, 5, 2, 4)
    x = x.reshape(n, h * w // 4, 4 * c)
    if merging.norm is not None:
        x = merging.norm(x)
    return merging.reduction(x)
