"""LoRA on the Linear layers of every Swin block, per task."""
import math
from functools import partial
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmseg.registry import MODELS

from .base_tuner import BaseTuner
from .swin_sites import LINEARS, SwinArch, add_linear_branch, block_linears


class LoRABranch(nn.Module):
    """``Δ(x) = scale · B A LN(dropout(x))`` with ``A: in -> r``,
    ``B: r -> out``.

    Args:
        in_dims, out_dims: Sizes of the adapted Linear.
        rank: ``r``.
        branch_norm: LayerNorm on the branch input.
        scale: Multiplier of the branch (``alpha / r`` in LoRA's notation).
        dropout: Dropout on the branch input.
    """

    def __init__(self,
                 in_dims: int,
                 out_dims: int,
                 rank: int,
                 branch_norm: bool,
                 scale: float,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(in_dims) if branch_norm else None
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.down = nn.Linear(in_dims, rank, bias=False)  # A
        self.up = nn.Linear(rank, out_dims, bias=False)  # B
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.dropout is not None:
            x = self.dropout(x)
        if self.norm is not None:
            x = self.norm(x)
        return self.up(self.down(x)) * self.scale

    def reset(self, init: str, std: float) -> None:
        """``A`` ~ N(0, std²) (``'normal'``) or Kaiming-uniform
        (``'kaiming'``); ``B = 0``."""
        if init == 'normal':
            nn.init.normal_(self.down.weight, std=std)
        elif init == 'kaiming':
            nn.init.kaiming_uniform_(self.down.weight, a=math.sqrt(5))
        else:
            raise ValueError(f"init must be 'normal' or 'kaiming', got "
                             f'{init!r}')
        nn.init.zeros_(self.up.weight)


@MODELS.register_module()
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
        targets: Linear layers to adapt, from ``qkv, proj, fc1, fc2``.
        branch_norm: Per-task LayerNorm on the LoRA branch input.
        scale: Branch multiplier.
        init_std: Std of ``A``'s normal initialisation.
        shared: One LoRA for all tasks (one shared backbone pass).
    """

    _stage_pattern = r'^lora\.[^.]+\.(\d+)\.'

    def __init__(self,
                 rank: int = 4,
                 targets: Sequence[str] = ('qkv', ),
                 branch_norm: bool = True,
                 scale: float = 1.0,
                 init_std: float = 0.01,
                 shared: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if rank < 1:
            raise ValueError(f'rank must be positive, got {rank}')
        targets = tuple(targets)
        if not targets or any(t not in LINEARS for t in targets):
            raise ValueError(f'targets must be a non-empty subset of '
                             f'{LINEARS}, got {targets}')
        self.rank, self.targets, self.branch_norm = rank, targets, branch_norm
        self.scale, self.init_std, self.shared = scale, init_std, shared
        self.task_specific = not shared
        self.lora = nn.ModuleDict()

    def build_modules(self, arch: SwinArch, tasks: Sequence[str]) -> None:
        for key in (['shared'] if self.shared else list(tasks)):
            self.lora[key] = nn.ModuleList(
                nn.ModuleList(
                    nn.ModuleDict({
                        name:
                        LoRABranch(linear.in_features, linear.out_features,
                                   self.rank, self.branch_norm, self.scale)
                        for name, linear in block_linears(info.block).items()
                        if name in self.targets
                    }) for info in blocks) for blocks in arch.stages)

    def install_hooks(self, backbone: nn.Module, arch: SwinArch) -> List:
        handles = []
        for info in arch.blocks:
            for name, linear in block_linears(info.block).items():
                if name in self.targets:
                    handles += add_linear_branch(
                        linear,
                        partial(self._branch, info.stage, info.index, name))
        return handles

    def _branch(self, stage: int, index: int, name: str,
                x: torch.Tensor) -> torch.Tensor:
        key = 'shared' if self.shared else self.current_task
        return self.lora[key][stage][index][name](x)

    def init_weights(self) -> None:
        super().init_weights()
        for m in self.modules():
            if isinstance(m, LoRABranch):
                m.reset('normal', self.init_std)
