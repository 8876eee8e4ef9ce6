"""A tuner with no parameters: the cost floor of per-task methods."""
from typing import List, Optional

import torch.nn as nn
from mmseg.registry import MODELS

from ..base import BaseTuner
from ..sites import SwinArch


@MODELS.register_module()
class PerTaskPass(BaseTuner):
    """One frozen-backbone pass per task, and nothing else.

    A measuring instrument (``tools/analysis/benchmark.py --floor``): any
    method with task-specific modules inside the backbone pays at least one
    backbone pass per task, and, when its modules sit in every block, a
    backward pass through the whole backbone.

    Args:
        backward_through_backbone: Make the patch-embedding output require
            grad, so the backward pass runs through every block (the floor
            of methods with modules in every block). Without it nothing in
            the frozen backbone needs gradients (forward-only floor).
    """

    uses_swin_sites = False  # only the patch embedding

    def __init__(self, backward_through_backbone: bool = True) -> None:
        super().__init__()
        self.backward_through_backbone = backward_through_backbone

    def build_modules(self, backbone: nn.Module,
                      arch: Optional[SwinArch]) -> None:
        pass

    def install_hooks(self, backbone: nn.Module,
                      arch: Optional[SwinArch]) -> List:
        if not self.backward_through_backbone:
            return []

        def needs_grad(module, args, output):
            if not self.training:
                return None
            x, hw = output
            return (x.detach().requires_grad_(), hw)

        return [backbone.patch_embed.register_forward_hook(needs_grad)]
