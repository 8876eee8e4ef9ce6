"""A tuner with no parameters: the cost floor of per-task methods."""
from typing import List, Optional

import torch.nn as nn
from ....registry import TUNERS

from ..base import BaseTuner
from ...archs import ArchDescription
from ..sites import block_forward_input_needs_grad


@TUNERS.register_module()
class PerTaskPass(BaseTuner):
    """One frozen-backbone pass per task, and nothing else.

    A measuring instrument (``tools/analysis/benchmark.py --floor``): any
    method with task-specific modules inside the backbone pays at least one
    backbone pass per task, and, when its modules sit in every block, a
    backward pass through the whole backbone.

    Args:
        backward_through_backbone: Make the first block's input require
            grad, so the backward pass runs through every block (the floor
            of methods with modules in every block). Without it nothing in
            the frozen backbone needs gradients (forward-only floor).
    """

    def __init__(self, backward_through_backbone: bool = True) -> None:
        super().__init__()
        self.backward_through_backbone = backward_through_backbone

    def build_modules(self, backbone: nn.Module,
                      arch: Optional[ArchDescription]) -> None:
        pass

    def install_hooks(self, backbone: nn.Module,
                      arch: Optional[ArchDescription]) -> List:
        if not self.backward_through_backbone:
            return []
        return block_forward_input_needs_grad(arch.blocks[0].block)
