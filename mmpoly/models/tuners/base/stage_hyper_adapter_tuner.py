"""One hypernetwork per stage: the mechanism of Polyhistor and
Hyperformer++."""
from typing import Dict, Optional

import torch
import torch.nn as nn

from ..layers import AdapterWeights, StageHyperNetwork
from ...archs import ArchDescription
from .arguments import check_reduction
from .hyper_adapter_tuner import HyperAdapterTuner, SiteKey


class StageHyperAdapterTuner(HyperAdapterTuner):
    """Task embeddings, shared by all stages, condition one
    :class:`~..layers.StageHyperNetwork` per stage, which generates the
    adapters of every block and position of its stage. Stage widths and
    depths are read from the backbone, so one config serves Swin-T/S/B.

    Parameters: ``task_embeds`` ``(T, E)`` and ``stages.<s>.*``.

    Args:
        rank: Rank ``k`` of the generated matrices (decomposed generators);
            None generates full matrices.
        **kwargs: :class:`HyperAdapterTuner` arguments (embedding,
            projector and code widths, reduction, LayerNorm generators,
            positions, placement, activation, initialisation).
    """

    def __init__(self, rank: Optional[int] = 16, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rank = rank
        self.stages = nn.ModuleList()

    def build_modules(self, backbone: nn.Module,
                      arch: ArchDescription) -> None:
        check_reduction(self.reduction, arch.widths)
        self.task_embeds = nn.Parameter(
            torch.zeros(len(self.tasks), self.embed_dims))
        for s, (width, depth) in enumerate(zip(arch.widths, arch.depths)):
            self.stages.append(
                self.in_stage(
                    s,
                    StageHyperNetwork(
                        width,
                        depth,
                        num_positions=len(self.positions),
                        embed_dims=self.embed_dims,
                        hidden_dims=self.hidden_dims,
                        code_dims=self.code_dims,
                        bottleneck=width // self.reduction,
                        rank=self.rank,
                        norm_generators=self.norm_generators)))

    def generate(self, task: str) -> Dict[SiteKey, AdapterWeights]:
        e = self.task_embeds[self.tasks.index(task)]
        out = {}
        for s, stage in enumerate(self.stages):
            for (j, k), w in stage(e).items():
                out[s, j, self.positions[k]] = w
        return out
