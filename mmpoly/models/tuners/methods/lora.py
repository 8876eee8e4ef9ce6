"""LoRA on the Linear layers of every block, per task."""
from functools import partial
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from ....registry import TUNERS

from ...archs import ArchDescription
from ..base import BaseTuner
from ..layers import LoRABranch
from ..sites import add_linear_branch


@TUNERS.register_module()
class LoRATuner(BaseTuner):
    """Per-task LoRA on chosen Linear layers of every block (default: the
    fused ``qkv``).

    ``W x + scale · B_t A_t LN_t(x)``; ``A ~ N(0, init_std²)``, ``B = 0``,
    so the model starts as the frozen backbone. Parameters are named
    ``lora.<task>.<stage>.<block>.<layer>.{norm,down,up}``. Rank 4 on qkv
    with the branch LayerNorm gives 317,952 parameters on Swin-T with 4
    tasks (2,866,976 with heads and output norms).

    Args:
        rank: ``r``.
        targets: Linear roles to adapt (``qkv``, ``proj``, ``fc1``, ``fc2``
            on transformers; ``fc1``, ``fc2`` on ConvNeXt), checked
            against the backbone when attached.
        branch_norm: Per-task LayerNorm on the LoRA branch input.
        scale: Branch multiplier.
        init_std: Std of ``A``'s normal initialisation.
        shared: One LoRA for all tasks (one shared backbone pass).
    """

    def __init__(self,
                 rank: int = 4,
                 targets: Sequence[str] = ('qkv', ),
                 branch_norm: bool = True,
                 scale: float = 1.0,
                 init_std: float = 0.01,
                 shared: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(shared=shared, init_cfg=init_cfg)
        if rank < 1:
            raise ValueError(f'rank must be positive, got {rank}')
        targets = tuple(targets)
        if not targets or len(set(targets)) != len(targets):
            raise ValueError(f'targets must be distinct Linear roles, got '
                             f'{targets}')
        self.rank, self.targets, self.branch_norm = rank, targets, branch_norm
        self.scale, self.init_std = scale, init_std
        self.lora = nn.ModuleDict()

    def check_backbone(self, arch: ArchDescription) -> None:
        arch.require_linears(self.name, self.targets)

    def build_modules(self, backbone: nn.Module,
                      arch: ArchDescription) -> None:
        for key in self.module_keys:
            self.lora[key] = self.per_block(
                arch, lambda info: nn.ModuleDict({
                    name:
                    LoRABranch(linear.in_features, linear.out_features, self.
                               rank, self.branch_norm, self.scale)
                    for name, linear in info.linears.items()
                    if name in self.targets
                }))

    def install_hooks(self, backbone: nn.Module,
                      arch: ArchDescription) -> List:
        handles = []
        for info in arch.blocks:
            for name, linear in info.linears.items():
                if name in self.targets:
                    handles += add_linear_branch(
                        linear,
                        partial(self._branch, info.stage, info.index, name),
                        self.per_task)
        return handles

    def _branch(self, stage: int, index: int, name: str,
                x: torch.Tensor) -> torch.Tensor:
        return self.lora[self.current_key][stage][index][name](x)

    def init_weights(self) -> None:
        super().init_weights()
        for m in self.modules():
            if isinstance(m, LoRABranch):
                m.reset_parameters('normal', self.init_std)
