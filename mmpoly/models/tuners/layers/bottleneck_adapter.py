"""A learned bottleneck adapter (its own parameters, no hypernetwork)."""
from typing import Optional

import torch
import torch.nn as nn

from .adapter_matrices import (AdapterMatrix, DenseMatrix, FactoredMatrix,
                               PHMMatrix)
from .adapter_weights import AdapterWeights


def build_adapter_matrix(rows: int,
                         cols: int,
                         rank: Optional[int] = None,
                         phm: Optional[dict] = None) -> AdapterMatrix:
    """A dense, rank-``k`` or PHM ``rows x cols`` matrix.

    Args:
        rank: Rank-``k`` factors (low-rank adapter).
        phm: ``dict(n=4, rank_one=False, shared_rules=False)``
            (see :class:`PHMMatrix`).
    """
    if rank is not None and phm is not None:
        raise ValueError('an adapter is low-rank or PHM, not both')
    if phm is not None:
        return PHMMatrix(
            rows,
            cols,
            n=phm.get('n', 4),
            own_rule=not phm.get('shared_rules', False),
            rank_one=phm.get('rank_one', False))
    if rank is not None:
        return FactoredMatrix(rows, cols, rank)
    return DenseMatrix(rows, cols)


class BottleneckAdapter(nn.Module):
    """``f(v) = LN(W_up act(W_down v + b_down) + b_up)`` with learned weights.

    Parameters: ``down.*``, ``up.*`` (the matrices, see
    :mod:`.adapter_matrices`), ``down_bias`` / ``up_bias`` when the matrices
    do not hold their biases, ``norm.*``.

    Args:
        width: ``C``.
        bottleneck: ``d``.
        rank: Make ``W_down`` and ``W_up`` rank-``k`` products (low-rank
            adapter); None for dense weights.
        post_norm: LayerNorm after the up projection (``LN_post``).
        phm: PHM weights instead: ``dict(n=4, rank_one=False,
            shared_rules=False)``.
    """

    def __init__(self,
                 width: int,
                 bottleneck: int,
                 rank: Optional[int] = None,
                 post_norm: bool = True,
                 phm: Optional[dict] = None) -> None:
        super().__init__()
        self.down = build_adapter_matrix(bottleneck, width, rank, phm)
        self.up = build_adapter_matrix(width, bottleneck, rank, phm)
        if not self.down.has_bias:
            self.down_bias = nn.Parameter(torch.zeros(bottleneck))
            self.up_bias = nn.Parameter(torch.zeros(width))
        self.norm = nn.LayerNorm(width) if post_norm else None

    def weights(self, rule: Optional[torch.Tensor] = None) -> AdapterWeights:
        """The adapter's current weights.

        Args:
            rule: The shared PHM rules, for PHM adapters that share them.
        """
        own = self.down.has_bias
        norm = self.norm
        return AdapterWeights(
            down=self.down.matrix(rule),
            down_bias=self.down.bias if own else self.down_bias,
            up=self.up.matrix(rule),
            up_bias=self.up.bias if own else self.up_bias,
            norm_weight=None if norm is None else norm.weight,
            norm_bias=None if norm is None else norm.bias)

    def reset_parameters(self, std: float) -> None:
        """Both matrices ~ ``N(0, std²)`` (separate biases stay zero, the
        LayerNorm keeps (1, 0))."""
        self.down.reset_parameters(std)
        self.up.reset_parameters(std)
