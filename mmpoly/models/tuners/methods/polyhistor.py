"""Polyhistor: decomposed hypernetworks, one per stage (Liu et al.,
NeurIPS 2022)."""
from typing import Optional, Sequence

from ....registry import TUNERS

from ..base import StageHyperAdapterTuner


@TUNERS.register_module()
class Polyhistor(StageHyperAdapterTuner):
    """Polyhistor: per-stage decomposed hypernetworks generating adapters.

    Task embeddings (shared by all stages) condition one
    :class:`~..layers.StageHyperNetwork` per stage, which generates
    low-rank adapter weights (``W = L R``) for every block and position.

    With E = h = 128, P = 64, ρ = 1, k = 16, FFN + attention adapters and no
    LayerNorm generators, Swin-T with 4 tasks has 6,411,328 parameters here
    (8,960,352 with the heads and per-task output norms), the paper's 8.96 M.

    Args:
        rank: Rank ``k`` of the generated matrices.
        **kwargs: :class:`~..base.StageHyperAdapterTuner` arguments
            (embedding, projector and code widths, reduction, LayerNorm
            generators, positions, placement, activation, initialisation).
    """

    def __init__(self,
                 rank: Optional[int] = 16,
                 positions: Sequence[str] = ('attn', 'ffn'),
                 **kwargs) -> None:
        super().__init__(rank=rank, positions=positions, **kwargs)
