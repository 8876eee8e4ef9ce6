"""Adapter baselines: per-task, shared and low-rank bottleneck adapters."""
from functools import partial
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmseg.registry import MODELS

from .adapter_weights import ACTIVATIONS, adapter_delta
from .base_tuner import BaseTuner
from .bottleneck_adapter import BottleneckAdapter, FactoredWeight, PHMWeight
from .swin_sites import (SwinArch, add_parallel_branch, add_serial_branch,
                         check_placement)


@MODELS.register_module()
class AdapterTuner(BaseTuner):
    """Bottleneck adapters in every Swin block (Houlsby-style, in parallel by
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

    _stage_pattern = r'^adapters\.[^.]+\.(\d+)\.'

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
        super().__init__(init_cfg)
        positions = check_placement(positions, placement)
        if activation not in ACTIVATIONS:
            raise ValueError(f'activation must be one of '
                             f'{sorted(ACTIVATIONS)}, got {activation!r}')
        self.reduction, self.positions = reduction, positions
        self.placement, self.shared, self.rank = placement, shared, rank
        self.post_norm, self.activation = post_norm, activation
        self.zero_init_up, self.init_std = zero_init_up, init_std
        self.phm = dict(phm) if phm is not None else None
        if self.phm is not None:
            unknown = set(self.phm) - {'n', 'rank_one', 'shared_rules'}
            if unknown:
                raise ValueError(f'unknown phm options {sorted(unknown)}')
        self.task_specific = not shared
        self.adapters = nn.ModuleDict()
        self.rules = nn.ParameterDict()

    def build_modules(self, arch: SwinArch, tasks: Sequence[str]) -> None:
        for width in arch.widths:
            if width % self.reduction:
                raise ValueError(f'stage width {width} is not divisible by '
                                 f'reduction {self.reduction}')
        for name in (['shared'] if self.shared else list(tasks)):
            self.adapters[name] = nn.ModuleList(
                nn.ModuleList(
                    nn.ModuleDict({
                        pos:
                        BottleneckAdapter(info.dims, info.dims //
                                          self.reduction, self.rank,
                                          self.post_norm, self.phm)
                        for pos in self.positions
                    }) for info in blocks) for blocks in arch.stages)
            if self.phm is not None and self.phm.get('shared_rules'):
                n = self.phm.get('n', 4)
                self.rules[name] = nn.Parameter(torch.zeros(n, n, n))

    def install_hooks(self, backbone: nn.Module, arch: SwinArch) -> List:
        add = add_parallel_branch if self.placement == 'parallel' \
            else add_serial_branch
        handles = []
        for info in arch.blocks:
            for pos in self.positions:
                handles += add(
                    info.block, pos,
                    partial(self._branch, info.stage, info.index, pos))
        return handles

    def _branch(self, stage: int, index: int, pos: str,
                x: torch.Tensor) -> torch.Tensor:
        name = 'shared' if self.shared else self.current_task
        adapter = self.adapters[name][stage][index][pos]
        rule = self.rules[name] if name in self.rules else None
        return adapter_delta(x, adapter.weights(rule), self.activation)

    def init_weights(self) -> None:
        super().init_weights()
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=self.init_std)
                nn.init.zeros_(m.bias)
            elif isinstance(m, FactoredWeight):
                nn.init.normal_(m.left, std=self.init_std)
                nn.init.normal_(m.right, std=self.init_std)
            elif isinstance(m, PHMWeight):
                for p in m.parameters(recurse=False):
                    nn.init.normal_(p, std=self.init_std)
        for p in self.rules.values():
            nn.init.normal_(p, std=self.init_std)
        if self.zero_init_up:
            for m in self.modules():
                if isinstance(m, BottleneckAdapter):
                    if isinstance(m.up, nn.Linear):
                        nn.init.zeros_(m.up.weight)
                    elif isinstance(m.up, PHMWeight):
                        nn.init.zeros_(
                            m.up.left if m.up.rank_one else m.up.blocks)
                    else:
                        nn.init.zeros_(m.up.left)
