"""Visual prompt tuning (Jia et al., ECCV 2022), per task."""
import math
from functools import partial
from typing import List, Optional

import torch
import torch.nn as nn
from ....registry import TUNERS

from ..base import BaseTuner
from ...archs import ArchDescription
from ..sites import add_prompt_tokens


@TUNERS.register_module()
class VPT(BaseTuner):
    """Per-task prompt tokens attended to by every token of a block.

    VPT-deep gives every block its own prompts, VPT-shallow only the first
    block. Prompts live in the residual stream of their block and go through
    its (frozen) attention norm like the tokens; the block's attention
    attends to them (on Swin inside every window, with the relative-position
    bias padded, see ``mmpoly.models.archs.swin.prompted_attention``; on a
    plain ViT over the whole sequence) and their outputs are dropped. Needs
    a backbone family with prompted attention (Swin, ViT).
    Parameters: ``prompts.<task>.<stage>.<block>``, ``(num_tokens, C_s)``.
    50 tokens give 883,200 parameters deep / 19,200 shallow on Swin-T with
    4 tasks.

    Args:
        num_tokens: Prompt tokens per block (0 reproduces the backbone).
        deep: Prompts in every block (VPT-deep) or the first only.
        patch_size: Patch size used by VPT's uniform initialisation
            ``U(-a, a)``, ``a = sqrt(6 / (3 p² + C))``.
    """

    def __init__(self,
                 num_tokens: int = 50,
                 deep: bool = True,
                 patch_size: int = 4,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_tokens < 0:
            raise ValueError(f'num_tokens must be >= 0, got {num_tokens}')
        self.num_tokens, self.deep, self.patch_size = num_tokens, deep, \
            patch_size
        self.prompts = nn.ModuleDict()

    def _targets(self, arch: ArchDescription):
        return arch.blocks if self.deep else arch.blocks[:1]

    def check_backbone(self, arch: ArchDescription) -> None:
        arch.require_prompt_attention(self.name)

    def build_modules(self, backbone: nn.Module,
                      arch: ArchDescription) -> None:
        for task in self.tasks:
            stages = nn.ModuleList(nn.ParameterList() for _ in arch.stages)
            for info in self._targets(arch):
                stages[info.stage].append(
                    self.in_stage(
                        info.stage,
                        nn.Parameter(torch.zeros(self.num_tokens, info.dims))))
            self.prompts[task] = stages

    def install_hooks(self, backbone: nn.Module,
                      arch: ArchDescription) -> List:
        return [
            add_prompt_tokens(arch, info,
                              partial(self._prompts, info.stage, info.index),
                              self.per_task) for info in self._targets(arch)
        ]

    def _prompts(self, stage: int, index: int) -> torch.Tensor:
        return self.prompts[self.current_task][stage][index]

    def init_weights(self) -> None:
        super().init_weights()
        for p in self.prompts.parameters():
            a = math.sqrt(6.0 / (3 * self.patch_size**2 + p.shape[1]))
            nn.init.uniform_(p, -a, a)


@TUNERS.register_module()
class VPTDeep(VPT):
    """VPT-deep: prompts in every block."""

    def __init__(self, num_tokens: int = 50, **kwargs) -> None:
        if not kwargs.setdefault('deep', True):
            raise ValueError('VPTDeep has deep=True; use VPTShallow')
        super().__init__(num_tokens=num_tokens, **kwargs)


@TUNERS.register_module()
class VPTShallow(VPT):
    """VPT-shallow: prompts in the first block only."""

    def __init__(self, num_tokens: int = 50, **kwargs) -> None:
        if kwargs.setdefault('deep', False):
            raise ValueError('VPTShallow has deep=False; use VPTDeep')
        super().__init__(num_tokens=num_tokens, **kwargs)
