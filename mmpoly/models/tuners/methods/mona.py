"""Mona (CVPR 2025): multi-cognitive visual adapters on the residual
stream."""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn

from ....registry import TUNERS
from ...archs import ArchDescription
from ..base import BaseTuner
from ..layers import MonaAdapter
from ..sites import transform_residual_sums


@TUNERS.register_module()
class Mona(BaseTuner):
    """A :class:`~mmpoly.models.tuners.layers.MonaAdapter` after every
    residual sub-layer of every block, serial on the residual stream.

    In a pre-norm transformer block::

        x <- Mona_1(x + DP(attn(norm1(x))))
        x <- Mona_2(x + DP(ffn(norm2(x))))

    so the FFN's residual is Mona_1's output (a ConvNeXt block, one
    residual branch, has one Mona). Mona's convolutions need the tokens'
    spatial grid, read from each block's arguments. Only the Monas train:
    ``133 C + 9,728`` parameters each with the bottleneck of 64, 1,408,128
    for one set on Swin-T (two per block). Mona is a single-task method:
    one set per task (one backbone pass per task, four times the
    parameters with four tasks), or with ``shared=True`` one set for all
    tasks and one pass.

    Parameters are named ``mona.<set>.<stage>.<block>.<position>.*``,
    ``<set>`` the task name or ``shared``.

    Args:
        bottleneck: Channels inside Mona (64 in the paper).
        dropout: Dropout before Mona's up projection.
        shared: One set for all tasks.
        init_cfg: MMEngine initialisation config.
    """

    def __init__(self,
                 bottleneck: int = 64,
                 dropout: float = 0.1,
                 shared: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(shared=shared, init_cfg=init_cfg)
        if bottleneck < 1:
            raise ValueError(
                f'Mona bottleneck must be positive, got {bottleneck}')
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f'Mona dropout must be in [0, 1), got {dropout}')
        self.bottleneck, self.dropout = bottleneck, dropout
        self.positions: Tuple[str, ...] = ()
        self.mona = nn.ModuleDict()

    def check_backbone(self, arch: ArchDescription) -> None:
        tokens = any(sub.channels_last for info in arch.blocks
                     for sub in info.sublayers.values())
        if tokens and arch.token_grid is None:
            arch.refuse(
                self.name, "the (H, W) grid of its blocks' tokens for the "
                'depthwise convolutions',
                arch.missing.get(
                    'token_grid', 'mmpoly does not read it from its '
                    "blocks' arguments"))

    def build_modules(self, backbone: nn.Module,
                      arch: ArchDescription) -> None:
        self.positions = arch.positions
        for key in self.module_keys:
            self.mona[key] = self.per_block(
                arch, lambda info: nn.ModuleDict({
                    pos:
                    MonaAdapter(info.dims, self.bottleneck, self.dropout)
                    for pos in self.positions
                }))

    def install_hooks(self, backbone: nn.Module,
                      arch: ArchDescription) -> List:
        return transform_residual_sums(arch, self.positions, self._mona,
                                       self.per_task)

    def _mona(self, stage: int, index: int, pos: str, x: torch.Tensor,
              hw: Tuple[int, int]) -> torch.Tensor:
        return self.mona[self.current_key][stage][index][pos](x, hw)
