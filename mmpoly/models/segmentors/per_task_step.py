"""The per-task training step, shared by the segmentor and its DDP wrapper."""
from contextlib import nullcontext
from typing import Callable, ContextManager, Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

#: ``(preprocessed data, task) -> losses`` of that task's forward.
TaskForward = Callable[[dict, str], Dict[str, torch.Tensor]]


def per_task_train_step(
    model: nn.Module,
    data,
    optim_wrapper: OptimWrapper,
    tasks: Sequence[str],
    forward_task: TaskForward,
    context_model: Optional[nn.Module] = None,
    no_sync: Optional[Callable[[], ContextManager]] = None
) -> Dict[str, torch.Tensor]:
    """One optimisation step that back-propagates task by task.

    Each task's loss is back-propagated right after its forward, so only
    one task's graph is alive at a time: intermediate tasks outside the
    optimiser wrapper's step counting (:func:`backward_without_step`), the
    last through ``update_params``, which steps once for all tasks.

    Args:
        model: The segmentor (its ``data_preprocessor`` and
            ``parse_losses``).
        data: The batch from the data loader.
        optim_wrapper: The optimiser wrapper.
        tasks: The tasks, in order.
        forward_task: Runs one task's forward in ``loss`` mode.
        context_model: The module given to ``optim_context`` (the DDP
            wrapper under DDP); default ``model``.
        no_sync: Under DDP, the wrapper's ``no_sync``: gradients of all
            tasks but the last accumulate locally, and the last backward
            all-reduces everything.

    Returns:
        The logged values, summed over tasks.
    """
    context_model = model if context_model is None else context_model
    with optim_wrapper.optim_context(context_model):
        data = model.data_preprocessor(data, True)
    log_vars: Dict[str, torch.Tensor] = {}
    for k, task in enumerate(tasks):
        last = k == len(tasks) - 1
        with (nullcontext() if last or no_sync is None else no_sync()):
            with optim_wrapper.optim_context(context_model):
                losses = forward_task(data, task)
            loss, task_vars = model.parse_losses(losses)
            for key, value in task_vars.items():
                log_vars[key] = log_vars[key] + value \
                    if key in log_vars else value
            if last:
                optim_wrapper.update_params(loss)
            else:
                backward_without_step(optim_wrapper, loss)
    return log_vars


def backward_without_step(optim_wrapper: OptimWrapper,
                          loss: torch.Tensor) -> None:
    """Back-propagate ``loss`` into the gradients without an optimiser step.

    Uses the wrapper's loss scaling for gradient accumulation and, under
    mixed precision, its loss scaler: the loss is multiplied by the current
    scale, the same for every task of the iteration. It does not count as a
    micro-step, so the wrapper's accumulation logic sees one
    ``update_params`` per iteration, and the scaler's unscale (before
    gradient clipping), its step (skipped when a gradient of any task is
    not finite) and its scale update happen once, in the last task's
    ``update_params``.
    """
    loss = optim_wrapper.scale_loss(loss)
    scaler = getattr(optim_wrapper, 'loss_scaler', None)
    if scaler is not None:
        loss = scaler.scale(loss)
    loss.backward()
