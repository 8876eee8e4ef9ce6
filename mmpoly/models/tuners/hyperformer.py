"""Hyperformer (Mahabadi et al., ACL 2021) and Hyperformer++ as baselines."""
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmseg.registry import MODELS

from .adapter_weights import AdapterWeights
from .hyper_adapter_tuner import HyperAdapterTuner, SiteKey
from .polyhistor import Polyhistor, StageHyperNetwork
from .swin_sites import SwinArch


@MODELS.register_module()
class Hyperformer(HyperAdapterTuner):
    """One hypernetwork per block, generating full adapter matrices.

    Each block has its own task projector (``E -> h -> P`` + LayerNorm,
    conditioned on the task embedding only) and full generators of
    ``W_down``, ``W_up``, both biases and the adapter's LayerNorm; task
    embeddings are shared by all blocks. With E = 64, h = 128, P = 64,
    ρ = 4 and FFN adapters on Swin-T (4 tasks) that is 71,221,264
    parameters (73,770,288 with the heads and output norms).

    Args:
        embed_dims, hidden_dims, code_dims: ``E``, ``h``, ``P``.
        reduction: ``ρ``.
        norm_generators: Generate the adapters' LayerNorm.
        **kwargs: :class:`HyperAdapterTuner` arguments.
    """

    _stage_pattern = r'^blocks\.(\d+)\.'

    def __init__(self,
                 embed_dims: int = 64,
                 hidden_dims: int = 128,
                 code_dims: int = 64,
                 reduction: int = 4,
                 norm_generators: bool = True,
                 positions: Sequence[str] = ('ffn', ),
                 **kwargs) -> None:
        super().__init__(positions=positions, **kwargs)
        self.embed_dims, self.hidden_dims = embed_dims, hidden_dims
        self.code_dims, self.reduction = code_dims, reduction
        self.norm_generators = norm_generators
        self.task_embeds: Optional[nn.Parameter] = None
        self.blocks = nn.ModuleList()

    def build_modules(self, arch: SwinArch, tasks: Sequence[str]) -> None:
        self.task_embeds = nn.Parameter(
            torch.zeros(len(tasks), self.embed_dims))
        for blocks in arch.stages:
            if blocks[0].dims % self.reduction:
                raise ValueError(f'stage width {blocks[0].dims} is not '
                                 f'divisible by reduction {self.reduction}')
            self.blocks.append(
                nn.ModuleList(
                    StageHyperNetwork(
                        info.dims,
                        1,
                        len(self.positions),
                        self.embed_dims,
                        self.hidden_dims,
                        self.code_dims,
                        info.dims // self.reduction,
                        None,
                        self.norm_generators,
                        condition_on=('task', )) for info in blocks))

    def generate(self, task: str) -> Dict[SiteKey, AdapterWeights]:
        e = self.task_embeds[self.tasks.index(task)]
        out = {}
        for s, nets in enumerate(self.blocks):
            for j, net in enumerate(nets):
                for (_, k), w in net(e).items():
                    out[s, j, self.positions[k]] = w
        return out


@MODELS.register_module()
class HyperformerPP(Polyhistor):
    """Hyperformer++: one hypernetwork per stage with full (not
    decomposed) generators, i.e. Polyhistor without its decomposition (the
    paper's ablation). Same arguments as :class:`Polyhistor`, ``rank``
    fixed to None."""

    def __init__(self, **kwargs) -> None:
        if kwargs.get('rank') is not None:
            raise ValueError('Hyperformer++ generates full matrices; use '
                             'Polyhistor for a rank')
        kwargs['rank'] = None
        super().__init__(**kwargs)
