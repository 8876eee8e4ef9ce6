"""What a tuner needs to know of a Swin Transformer: its stages and blocks.

Works with ``mmpretrain.SwinTransformer`` and MMSeg's ``SwinTransformer``:
both have ``stages[s].blocks[j]`` blocks with ``norm1``, ``attn``
(``ShiftWindowMSA`` holding ``w_msa``), ``norm2`` and an MMCV ``FFN``.
"""
from dataclasses import dataclass, field
from typing import List

import torch.nn as nn


@dataclass
class BlockInfo:
    """One Swin block and its place in the network."""
    stage: int
    index: int  # within the stage
    block: nn.Module = field(repr=False)
    dims: int
    num_heads: int
    window_size: int


@dataclass
class SwinArch:
    """The blocks of a Swin backbone, stage by stage."""
    stages: List[List[BlockInfo]]

    @property
    def widths(self) -> List[int]:
        """Channel width ``C_s`` of each stage."""
        return [blocks[0].dims for blocks in self.stages]

    @property
    def depths(self) -> List[int]:
        """Number of blocks ``D_s`` of each stage."""
        return [len(blocks) for blocks in self.stages]

    @property
    def blocks(self) -> List[BlockInfo]:
        """All blocks, in forward order."""
        return [b for blocks in self.stages for b in blocks]


def describe_swin(backbone: nn.Module) -> SwinArch:
    """Read stage widths, depths, heads and blocks from a Swin backbone.

    Raises:
        TypeError: if ``backbone`` is not a Swin Transformer of mmpretrain or
            MMSeg (names what is missing).
    """
    name = type(backbone).__name__
    stages = getattr(backbone, 'stages', None)
    if stages is None:
        raise TypeError(f'{name} has no "stages": mmpoly tuners need a Swin '
                        'Transformer (mmpretrain.SwinTransformer or '
                        'mmseg SwinTransformer)')
    arch = []
    for s, stage in enumerate(stages):
        infos = []
        for j, block in enumerate(stage.blocks):
            try:
                w_msa = block.attn.w_msa
                infos.append(
                    BlockInfo(
                        stage=s,
                        index=j,
                        block=block,
                        dims=block.norm1.normalized_shape[0],
                        num_heads=w_msa.num_heads,
                        window_size=w_msa.window_size[0]))
            except AttributeError as e:
                raise TypeError(
                    f'{name}.stages[{s}].blocks[{j}] is not a Swin block '
                    f'(norm1 / attn.w_msa / ffn expected): {e}') from None
        arch.append(infos)
    return SwinArch(arch)
