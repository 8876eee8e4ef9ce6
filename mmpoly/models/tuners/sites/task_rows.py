"""How a site applies a task's terms to the rows of a task-batched pass.

A site whose term depends on the task takes ``per_task``, the tuner's
:meth:`~mmpoly.models.tuners.base.BaseTuner.per_task`: ``per_task(fn,
*tensors)`` runs ``fn`` on each task's rows of the tensors (their leading
dimension) in a task-batched pass, and is ``fn(*tensors)`` otherwise.
"""
from typing import Callable

import torch

#: ``per_task(fn, *tensors) -> tensor``.
PerTask = Callable[..., torch.Tensor]


def whole_batch(fn: Callable[..., torch.Tensor], *tensors:
                torch.Tensor) -> torch.Tensor:
    """The default ``per_task``: every row belongs to the pass's one task
    (or the term is the same for all tasks)."""
    return fn(*tensors)
