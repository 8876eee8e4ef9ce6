"""Terms on a block's named Linear layers (LoRA, IA³ scaling).

The layers come from :attr:`~mmpoly.models.archs.BlockInfo.linears` (roles
``qkv``, ``proj``, ``fc1``, ``fc2`` or the family's own); forward hooks
only. Each function returns handles with ``remove()``. ``per_task`` (the
tuner's :meth:`~mmpoly.models.tuners.base.BaseTuner.per_task`) applies a
task's term to that task's rows in a task-batched pass (:mod:`.task_rows`).
"""
from typing import Callable, List

import torch
import torch.nn as nn
import torch.nn.functional as F

from .forward_sites import ForwardOverride
from .task_rows import PerTask, whole_batch

Branch = Callable[[torch.Tensor], torch.Tensor]


def add_linear_branch(linear: nn.Module,
                      branch: Branch,
                      per_task: PerTask = whole_batch) -> List:
    """``linear(x) + branch(x)`` (e.g. a LoRA term)."""

    def add(module, args, output):
        return output + per_task(branch, args[0])

    return [linear.register_forward_hook(add)]


def scale_linear_output(linear: nn.Module,
                        scale: Callable[[], torch.Tensor],
                        per_task: PerTask = whole_batch) -> List:
    """``linear(x) * scale()`` (a vector over the output channels)."""

    def multiply(module, args, output):
        return per_task(lambda out: out * scale(), output)

    return [linear.register_forward_hook(multiply)]


def scale_linear_input(linear: nn.Module,
                       scale: Callable[[], torch.Tensor],
                       per_task: PerTask = whole_batch) -> List:
    """``linear(x * scale())`` (a vector over the input channels)."""

    def multiply(module, args):
        return (per_task(lambda x: x * scale(), args[0]), ) + tuple(args[1:])

    return [linear.register_forward_pre_hook(multiply)]


def replace_linear_output(linear: nn.Module,
                          output: Callable[[torch.Tensor, torch.Tensor],
                                           torch.Tensor],
                          per_task: PerTask = whole_batch) -> List:
    """``output(x, linear(x))`` in place of ``linear(x)`` (e.g. a frozen
    output computed elsewhere plus a term of ``x``)."""

    def replace(module, args, out):
        return per_task(output, args[0], out)

    return [linear.register_forward_hook(replace)]


def frozen_linear(linear: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """The Linear's own computation ``W x + b`` (whatever overrides its
    instance's ``forward``)."""
    return F.linear(x, linear.weight, linear.bias)


def override_linear(linear: nn.Linear,
                    forward: Callable[[torch.Tensor], torch.Tensor]) -> List:
    """``forward(x)`` in place of the Linear's computation: unlike
    :func:`replace_linear_output`, ``W x + b`` is not computed unless
    ``forward`` asks for it (:func:`frozen_linear`)."""
    return [ForwardOverride(linear, forward)]
