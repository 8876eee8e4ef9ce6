"""Adapter baselines: per-task, shared and low-rank bottleneck adapters."""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from ....registry import TUNERS

from ..base import BaseTuner, check_choice, check_reduction
from ..layers import (ACTIVATIONS, AdapterWeights, BottleneckAdapter,
                      adapter_delta_per_task)
from ...archs import ArchDescription
from ..sites import add_adapter_branches, check_placement


@TUNERS.register_module()
class AdapterTuner(BaseTuner):
    """Bottleneck adapters in every block (Houlsby-style, in parallel by
    default), one set per task or one set shared by all tasks.

    Parameters are named ``adapters.<set>.<stage>.<block>.<position>.*``
    where ``<set>`` is the task name, or ``shared``.

    Args:
        reduction: ``ρ``; the bottleneck is ``d = C / ρ``.
        positions: Sub-layers with an adapter (``'ffn'``, ``'attn'``).
        placement: ``'parallel'`` or ``'serial'``.
        shared: One set of adapters for all tasks (then the backbone runs
            once for all tasks).
        rank: Low-rank adapter: ``W_down`` and ``W_up`` are rank-``k``
            products of learned factors. None: dense.
        post_norm: LayerNorm after each adapter (``LN_post``).
        activation: Adapter non-linearity.
        phm: PHM / Compacter weights: ``dict(n=4, rank_one=False,
            shared_rules=False)``. PHM adapter: own rules, full blocks;
            Compacter: ``rank_one=True, shared_rules=True`` (one rule tensor
            ``A (n x n x n)`` per task, shared by all layers, named
            ``rules.<set>``).
        zero_init_up: Start the up projection at zero (adapters output 0 at
            step 0); otherwise N(0, init_std²) like the down projection.
        init_std: Std of the normal initialisation of adapter weights.
    """

    def __init__(self,
                 reduction: int = 2,
                 positions: Sequence[str] = ('ffn', ),
                 placement: str = 'parallel',
                 shared: bool = False,
                 rank: Optional[int] = None,
                 post_norm: bool = True,
                 phm: Optional[dict] = None,
                 activation: str = 'silu',
                 zero_init_up: bool = False,
                 init_std: float = 0.01,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(shared=shared, init_cfg=init_cfg)
        self.positions = check_placement(positions, placement)
        check_choice('activation', activation, ACTIVATIONS)
        self.reduction, self.placement, self.rank = reduction, placement, rank
        self.post_norm, self.activation = post_norm, activation
        self.zero_init_up, self.init_std = zero_init_up, init_std
        self.phm = dict(phm) if phm is not None else None
        if self.phm is not None:
            unknown = set(self.phm) - {'n', 'rank_one', 'shared_rules'}
            if unknown:
                raise ValueError(f'unknown phm options {sorted(unknown)}')
        self.adapters = nn.ModuleDict()
        self.rules = nn.ParameterDict()

    def check_backbone(self, arch: ArchDescription) -> None:
        arch.require_positions(self.name, self.positions)

    def build_modules(self, backbone: nn.Module,
                      arch: ArchDescription) -> None:
        check_reduction(self.reduction, arch.widths)
        for key in self.module_keys:
            self.adapters[key] = self.per_block(
                arch, lambda info: nn.ModuleDict({
                    pos:
                    BottleneckAdapter(
                        info.dims,
                        info.dims // self.reduction,
                        rank=self.rank,
                        post_norm=self.post_norm,
                        phm=self.phm)
                    for pos in self.positions
                }))
            if self.phm is not None and self.phm.get('shared_rules'):
                n = self.phm.get('n', 4)
                self.rules[key] = nn.Parameter(torch.zeros(n, n, n))

    def install_hooks(self, backbone: nn.Module,
                      arch: ArchDescription) -> List:
        return add_adapter_branches(arch, self.positions, self.placement,
                                    self._branch)

    def _branch(self, stage: int, index: int, pos: str,
                x: torch.Tensor) -> torch.Tensor:
        # the pass's task, or each task of a task-batched pass (stacked)
        return adapter_delta_per_task(x, [
            self._adapter_weights(key, stage, index, pos)
            for key in self.pass_keys
        ], self.activation)

    def _adapter_weights(self, key: str, stage: int, index: int,
                         pos: str) -> AdapterWeights:
        adapter = self.adapters[key][stage][index][pos]
        return adapter.weights(self.rules[key] if key in self.rules else None)

    def init_weights(self) -> None:
        super().init_weights()
        for m in self.modules():
            if isinstance(m, BottleneckAdapter):
                m.reset_parameters(self.init_std)
        for p in self.rules.values():
            nn.init.normal_(p, std=self.init_std)
        if self.zero_init_up:
            for m in self.modules():
                if isinstance(m, BottleneckAdapter):
                    m.up.zero_()
