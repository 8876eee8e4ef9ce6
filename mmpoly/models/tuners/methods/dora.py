"""DoRA (Liu et al., ICML 2024) on the Linear layers of every block, per
task."""
from functools import partial
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ....registry import TUNERS
from ...archs import ArchDescription
from ..base import BaseTuner, check_choice
from ..layers import DoRABranch
from ..sites import replace_linear_output

#: How ``A`` of a DoRA branch is initialised (``B`` is always zero).
DORA_INITS = ('kaiming', 'normal')


@TUNERS.register_module()
class DoRATuner(BaseTuner):
    """Per-task weight-decomposed low-rank adaptation on chosen Linear
    layers of every block (default: the fused ``qkv``).

    Each adapted Linear gets, per task, a :class:`DoRABranch`: a magnitude
    ``m`` (one value per output unit, initialised to the row norms of the
    pretrained weight) and a low-rank update ``s·B A`` of the direction,
    ``y = diag(m / n)·(W + s·B A)·x + b`` with ``n = ‖W + s·B A‖`` per
    output unit, treated as a constant (computed without gradient). ``B = 0``
    and ``m = ‖W‖`` at the start, so the model starts as the frozen
    backbone. Unlike :class:`LoRATuner` there is no LayerNorm on the branch
    input: DoRA needs its update in weight space. Parameters are named
    ``dora.<task>.<stage>.<block>.<layer>.{down,up,magnitude}``. Rank 4 on
    qkv gives ``19·C`` parameters per block and task: 335,616 on Swin-T
    with 4 tasks.

    Merging (:meth:`merge`): the backbone then runs with each adapted
    Linear's weight replaced, for the pass's task, by the merged weight
    ``diag(m / n)·(W + s·B A)`` (:meth:`parameter_overrides`), while the
    branch hooks stand aside. The frozen weights themselves are never
    written, so :meth:`unmerge` only switches back. The merged weights are
    recomputed from the current parameters in every pass. Merged and
    unmerged outputs are equal up to rounding without dropout (always in
    eval mode); in training the merged form applies no dropout.

    Args:
        rank: ``r``.
        targets: Linear roles to adapt (``qkv``, ``proj``, ``fc1``, ``fc2``
            on transformers; ``fc1``, ``fc2`` on ConvNeXt), checked
            against the backbone when attached.
        scale: ``s``, the multiplier of ``B A``.
        dropout: Dropout on the branch input.
        init: ``A``'s initialisation: ``'kaiming'`` (Kaiming-uniform,
            PEFT's default) or ``'normal'`` (N(0, init_std²)).
        init_std: Std of the normal initialisation.
        shared: One DoRA for all tasks (one shared backbone pass).
    """

    def __init__(self,
                 rank: int = 4,
                 targets: Sequence[str] = ('qkv', ),
                 scale: float = 1.0,
                 dropout: float = 0.0,
                 init: str = 'kaiming',
                 init_std: float = 0.01,
                 shared: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(shared=shared, init_cfg=init_cfg)
        if rank < 1:
            raise ValueError(f'DoRATuner rank must be positive, got {rank}')
        targets = tuple(targets)
        if not targets or len(set(targets)) != len(targets):
            raise ValueError(f'DoRATuner targets must be distinct Linear '
                             f'roles, got {targets}')
        check_choice('init', init, DORA_INITS)
        self.rank, self.targets = rank, targets
        self.scale, self.dropout = scale, dropout
        self.init, self.init_std = init, init_std
        self.dora = nn.ModuleDict()
        self.merged = False
        # (stage, block, role, the Linear, its name in the backbone)
        self._sites: List[Tuple[int, int, str, nn.Linear, str]] = []

    def check_backbone(self, arch: ArchDescription) -> None:
        arch.require_linears(self.name, self.targets)

    def build_modules(self, backbone: nn.Module,
                      arch: ArchDescription) -> None:
        for key in self.module_keys:
            self.dora[key] = self.per_block(
                arch, lambda info: nn.ModuleDict({
                    name:
                    DoRABranch(linear, self.rank, self.scale, self.dropout)
                    for name, linear in info.linears.items()
                    if name in self.targets
                }))

    def install_hooks(self, backbone: nn.Module,
                      arch: ArchDescription) -> List:
        names = {id(m): n for n, m in backbone.named_modules()}
        self._sites = []
        handles = []
        for info in arch.blocks:
            for name, linear in info.linears.items():
                if name in self.targets:
                    self._sites.append((info.stage, info.index, name, linear,
                                        names[id(linear)]))
                    handles += replace_linear_output(
                        linear,
                        partial(self._adapted, info.stage, info.index, name,
                                linear), self.per_task)
        return handles

    def _adapted(self, stage: int, index: int, name: str, linear: nn.Linear,
                 x: torch.Tensor, frozen: torch.Tensor) -> torch.Tensor:
        if self.merged:  # the weight already is the merged one
            return frozen
        branch = self.dora[self.current_key][stage][index][name]
        return frozen + branch(x, frozen, linear)

    # ---------------------------------------------------------------- merge
    def merge(self) -> None:
        """Run with each task's DoRA folded into the adapted weights."""
        self.merged = True

    def unmerge(self) -> None:
        """Run with the DoRA branches again (the frozen weights were never
        changed)."""
        self.merged = False

    def parameter_overrides(self,
                            task: Optional[str]) -> Dict[str, torch.Tensor]:
        """When merged, ``<linear>.weight`` -> ``diag(m / n)·(W + s·B A)``
        of ``task``'s branches (of the shared ones when ``shared``)."""
        if not self.merged:
            return {}
        branches = self.dora[self.module_key(task)]
        return {
            f'{path}.weight':
            branches[stage][index][name].merged_weight(linear)
            for stage, index, name, linear, path in self._sites
        }

    def init_weights(self) -> None:
        super().init_weights()
        for m in self.modules():
            if isinstance(m, DoRABranch):
                m.reset_parameters(self.init, self.init_std)
