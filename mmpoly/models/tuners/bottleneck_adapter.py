"""A learned bottleneck adapter (its own parameters, no hypernetwork)."""
from typing import Optional

import torch
import torch.nn as nn

from .adapter_weights import AdapterWeights


class FactoredWeight(nn.Module):
    """A ``rows x cols`` weight kept as factors ``L (rows x k) @ R (k x cols)``.

    Args:
        rows, cols: Size of the weight.
        rank: ``k``.
    """

    def __init__(self, rows: int, cols: int, rank: int) -> None:
        super().__init__()
        self.left = nn.Parameter(torch.zeros(rows, rank))
        self.right = nn.Parameter(torch.zeros(rank, cols))

    def factors(self):
        return self.left, self.right


class BottleneckAdapter(nn.Module):
    """``f(v) = LN(W_up SiLU(W_down v + b_down) + b_up)`` with learned weights.

    Args:
        width: ``C``.
        bottleneck: ``d``.
        rank: Make ``W_down`` and ``W_up`` rank-``k`` products (low-rank
            adapter); None for dense weights.
        post_norm: LayerNorm after the up projection (``LN_post``).
    """

    def __init__(self,
                 width: int,
                 bottleneck: int,
                 rank: Optional[int] = None,
                 post_norm: bool = True) -> None:
        super().__init__()
        if rank is None:
            self.down = nn.Linear(width, bottleneck)
            self.up = nn.Linear(bottleneck, width)
        else:
            self.down = FactoredWeight(bottleneck, width, rank)
            self.up = FactoredWeight(width, bottleneck, rank)
            self.down_bias = nn.Parameter(torch.zeros(bottleneck))
            self.up_bias = nn.Parameter(torch.zeros(width))
        self.norm = nn.LayerNorm(width) if post_norm else None

    def weights(self) -> AdapterWeights:
        """The adapter's current weights (views of its parameters)."""
        if isinstance(self.down, nn.Linear):
            down, down_b = self.down.weight, self.down.bias
            up, up_b = self.up.weight, self.up.bias
        else:
            down, down_b = self.down.factors(), self.down_bias
            up, up_b = self.up.factors(), self.up_bias
        norm = self.norm
        return AdapterWeights(
            down=down,
            down_bias=down_b,
            up=up,
            up_bias=up_b,
            norm_weight=None if norm is None else norm.weight,
            norm_bias=None if norm is None else norm.bias)
