"""Hyperformer (Mahabadi et al., ACL 2021) and Hyperformer++ as baselines."""
from typing import Dict, Sequence

import torch
import torch.nn as nn
from ....registry import TUNERS

from ..base import (HyperAdapterTuner, SiteKey, StageHyperAdapterTuner,
                    check_reduction)
from ..layers import AdapterWeights, StageHyperNetwork
from ...archs import ArchDescription


@TUNERS.register_module()
class Hyperformer(HyperAdapterTuner):
    """One hypernetwork per block, generating full adapter matrices.

    Each block has its own task projector (``E -> h -> P`` + LayerNorm,
    conditioned on the task embedding only) and full generators of
    ``W_down``, ``W_up``, both biases and the adapter's LayerNorm; task
    embeddings are shared by all blocks. With E = 64, h = 128, P = 64,
    ρ = 4 and FFN adapters on Swin-T (4 tasks) that is 71,221,264
    parameters (73,770,288 with the heads and output norms).

    Parameters: ``task_embeds`` and ``blocks.<stage>.<block>.*``.

    Args:
        embed_dims: ``E`` (``h = 128`` and ``P = 64`` are the defaults of
            :class:`~..base.HyperAdapterTuner`).
        reduction: ``ρ``.
        norm_generators: Generate the adapters' LayerNorm.
        positions: Sub-layers with an adapter.
        **kwargs: :class:`~..base.HyperAdapterTuner` arguments.
    """

    def __init__(self,
                 embed_dims: int = 64,
                 reduction: int = 4,
                 norm_generators: bool = True,
                 positions: Sequence[str] = ('ffn', ),
                 **kwargs) -> None:
        super().__init__(
            embed_dims=embed_dims,
            reduction=reduction,
            norm_generators=norm_generators,
            positions=positions,
            **kwargs)
        self.blocks = nn.ModuleList()

    def build_modules(self, backbone: nn.Module,
                      arch: ArchDescription) -> None:
        self.task_embeds = nn.Parameter(
            torch.zeros(len(self.tasks), self.embed_dims))
        for s, blocks in enumerate(arch.stages):
            check_reduction(self.reduction, [blocks[0].dims])
            self.blocks.append(
                self.in_stage(
                    s,
                    nn.ModuleList(
                        StageHyperNetwork(
                            info.dims,
                            depth=1,
                            num_positions=len(self.positions),
                            embed_dims=self.embed_dims,
                            hidden_dims=self.hidden_dims,
                            code_dims=self.code_dims,
                            bottleneck=info.dims // self.reduction,
                            rank=None,
                            norm_generators=self.norm_generators,
                            condition_on=('task', )) for info in blocks)))

    def generate(self, task: str) -> Dict[SiteKey, AdapterWeights]:
        e = self.task_embeds[self.tasks.index(task)]
        out = {}
        for s, nets in enumerate(self.blocks):
            for j, net in enumerate(nets):
                for (_, k), w in net(e).items():
                    out[s, j, self.positions[k]] = w
        return out


@TUNERS.register_module()
class HyperformerPP(StageHyperAdapterTuner):
    """Hyperformer++: one hypernetwork per stage with full (not decomposed)
    generators, i.e. the paper's ablation of Polyhistor without its
    decomposition. Same arguments as :class:`Polyhistor` but ``rank``,
    which is None."""

    def __init__(self, **kwargs) -> None:
        if kwargs.get('rank') is not None:
            raise ValueError('Hyperformer++ generates full matrices; use '
                             'Polyhistor for a rank')
        kwargs['rank'] = None
        super().__init__(**kwargs)
