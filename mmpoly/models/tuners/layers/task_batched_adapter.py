"""Bottleneck adapters of several tasks on the rows of a task-batched pass.

In a task-batched pass the leading dimension of a hook's input holds ``T``
equal chunks of rows, task ``k``'s ``k``-th. Each task's adapter weights
are stacked along a new leading dimension and applied with batched matrix
products (``bmm`` / ``baddbmm``, factored weights factor by factor), so
the ``T`` adapters cost one kernel per matrix instead of ``T``.
"""
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F

from .adapter_weights import (ACTIVATIONS, AdapterWeights, Weight,
                              adapter_delta)

#: The fields of :class:`AdapterWeights`, in order.
_FIELDS = ('down', 'down_bias', 'up', 'up_bias', 'norm_weight', 'norm_bias')


def _stack(values: list):
    """The per-task values of one field stacked on a new leading dim: a
    tensor, a ``(left, right)`` pair of stacked factors, or None when every
    task has None. Raises TypeError on values of another kind or of
    different kinds."""
    first = values[0]
    if first is None and all(v is None for v in values):
        return None
    if all(isinstance(v, torch.Tensor) for v in values):
        return torch.stack(values)
    if all(
            isinstance(v, tuple) and len(v) == 2 and all(
                isinstance(f, torch.Tensor) for f in v) for v in values):
        return (torch.stack([v[0] for v in values]),
                torch.stack([v[1] for v in values]))
    raise TypeError('adapter weights of several kinds')


def stack_adapter_weights(
        weights: Sequence[AdapterWeights]) -> Optional[AdapterWeights]:
    """The weights of ``T`` adapters stacked field by field: every tensor
    gets a leading ``T`` dimension (``down`` ``(T, d, C)`` or factors
    ``(T, d, k)``, ``(T, k, C)``; biases ``(T, d)``...). None when the
    weights cannot be stacked (another kind of matrix, e.g.
    :class:`~.kronecker.KroneckerFactors`, or shapes that differ): then
    they are applied task by task."""
    try:
        return AdapterWeights(*(_stack([getattr(w, f) for w in weights])
                                for f in _FIELDS))
    except (TypeError, RuntimeError):  # kinds / shapes that do not stack
        return None


def _batched_linear(x: torch.Tensor, weight: Weight,
                    bias: Optional[torch.Tensor]) -> torch.Tensor:
    """``x_t @ W_t^T + b_t`` for every task ``t``: ``x`` ``(T, M, in)``,
    ``weight`` ``(T, out, in)`` or factors ``(T, out, k)``, ``(T, k, in)``
    (applied right factor first), ``bias`` ``(T, out)`` or None."""
    if isinstance(weight, tuple):
        left, right = weight
        x = torch.bmm(x, right.transpose(1, 2))
        weight = left
    if bias is None:
        return torch.bmm(x, weight.transpose(1, 2))
    return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))


def stacked_adapter_delta(v: torch.Tensor,
                          w: AdapterWeights,
                          activation: str = 'silu') -> torch.Tensor:
    """:func:`~.adapter_weights.adapter_delta` of ``T`` adapters at once.

    Args:
        v: ``(T·n, ..., C)`` tokens, task ``t``'s rows at
            ``t·n .. (t+1)·n``.
        w: Weights stacked by :func:`stack_adapter_weights` (``T``
            leading).
        activation: ``silu``, ``gelu`` or ``relu``.

    Returns:
        ``(T·n, ..., C)``.
    """
    tasks = (w.down[0] if isinstance(w.down, tuple) else w.down).shape[0]
    x = v.reshape(tasks, -1, v.shape[-1])
    h = ACTIVATIONS[activation](_batched_linear(x, w.down, w.down_bias))
    out = _batched_linear(h, w.up, w.up_bias)
    if w.norm_weight is not None:
        out = F.layer_norm(out, out.shape[-1:])
        out = out * w.norm_weight.unsqueeze(1).to(out.dtype)
        if w.norm_bias is not None:
            out = out + w.norm_bias.unsqueeze(1).to(out.dtype)
    return out.reshape(*v.shape[:-1], out.shape[-1])


def adapter_delta_per_task(v: torch.Tensor,
                           weights: Sequence[AdapterWeights],
                           activation: str = 'silu') -> torch.Tensor:
    """Each task's adapter on its rows of ``v``.

    Args:
        v: ``(T·n, ..., C)``, task ``t``'s rows at ``t·n .. (t+1)·n``
            (``T = len(weights)``; one task: any ``(..., C)``).
        weights: One adapter's weights per task, in row order.
        activation: ``silu``, ``gelu`` or ``relu``.

    Returns:
        ``(T·n, ..., C)``: stacked batched products
        (:func:`stacked_adapter_delta`) when the weights stack, else one
        :func:`~.adapter_weights.adapter_delta` per task's rows.
    """
    if len(weights) == 1:
        return adapter_delta(v, weights[0], activation)
    tasks = len(weights)
    if v.shape[0] % tasks:
        raise ValueError(f'{v.shape[0]} rows do not split into {tasks} '
                         'tasks\' equal chunks')
    stacked = stack_adapter_weights(weights)
    if stacked is not None:
        return stacked_adapter_delta(v, stacked, activation)
    n = v.shape[0] // tasks
    outs: List[torch.Tensor] = [
        adapter_delta(v[t * n:(t + 1) * n], w, activation)
        for t, w in enumerate(weights)
    ]
    return torch.cat(outs)
