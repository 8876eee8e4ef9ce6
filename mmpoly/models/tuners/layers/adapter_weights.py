"""The weights of one bottleneck adapter and its forward computation."""
from dataclasses import dataclass
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F

from .kronecker import KroneckerFactors

#: A weight as a full ``(out, in)`` matrix, as factors ``(L, R)`` with
#: ``W = L @ R``, ``L: (out, k)``, ``R: (k, in)``, or as a sum of Kronecker
#: products of kernels and low-rank templates (:class:`.KroneckerFactors`).
Weight = Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor],
               KroneckerFactors]

ACTIVATIONS = dict(silu=F.silu, gelu=F.gelu, relu=F.relu)


def linear(x: torch.Tensor,
           weight: Weight,
           bias: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``x @ W^T + b`` for a full or factored weight.

    A factored weight is applied as ``(x @ R^T) @ L^T``, never materialised
    (``k (in + out)`` instead of ``in * out`` multiply-adds per token); a
    Kronecker-factored one by :meth:`.KroneckerFactors.linear`.
    """
    if isinstance(weight, KroneckerFactors):
        return weight.linear(x, bias)
    if isinstance(weight, tuple):
        left, right = weight
        return F.linear(F.linear(x, right), left, bias)
    return F.linear(x, weight, bias)


@dataclass
class AdapterWeights:
    """Weights of ``f(v) = LN(W_up act(W_down v + b_down) + b_up)``.

    Shapes (``C`` = width, ``d`` = bottleneck): ``down`` ``(d, C)``,
    ``down_bias`` ``(d,)``, ``up`` ``(C, d)``, ``up_bias`` ``(C,)``,
    ``norm_weight`` / ``norm_bias`` ``(C,)`` or None (no LayerNorm).
    """
    down: Weight
    down_bias: Optional[torch.Tensor]
    up: Weight
    up_bias: Optional[torch.Tensor]
    norm_weight: Optional[torch.Tensor] = None
    norm_bias: Optional[torch.Tensor] = None


def adapter_delta(v: torch.Tensor,
                  w: AdapterWeights,
                  activation: str = 'silu') -> torch.Tensor:
    """The adapter's residual branch ``f(v)``.

    Args:
        v: ``(..., C)`` tokens.
        w: The adapter's weights.
        activation: ``silu`` (default), ``gelu`` or ``relu``.

    Returns:
        ``(..., C)``.
    """
    h = ACTIVATIONS[activation](linear(v, w.down, w.down_bias))
    out = linear(h, w.up, w.up_bias)
    if w.norm_weight is not None:
        out = F.layer_norm(out, out.shape[-1:], w.norm_weight, w.norm_bias)
    return out
