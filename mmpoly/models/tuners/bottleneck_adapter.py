"""A learned bottleneck adapter (its own parameters, no hypernetwork)."""
from typing import Optional

import torch
import torch.nn as nn

from .adapter_weights import AdapterWeights
from .kronecker import kron_sum


class FactoredWeight(nn.Module):
    """A ``rows x cols`` weight kept as factors ``L (rows x k)``,
    ``R (k x cols)``.

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


class PHMWeight(nn.Module):
    """A parameterised hypercomplex multiplication weight (PHM, Compacter).

    ``W = sum_{i=1..n} A_i ⊗ B_i`` (``rows x cols``) with rule matrices
    ``A_i (n x n)`` and blocks ``B_i (rows/n x cols/n)``; Compacter factors
    each block as ``B_i = s_i t_i^T`` (rank one) and shares the rules.

    Args:
        rows, cols: Size of ``W`` (both divisible by ``n``).
        n: Number of Kronecker terms (hypercomplex dimension).
        own_rule: Hold ``A (n x n x n)`` here; otherwise it is passed to
            :meth:`weight` (shared rules).
        rank_one: Factor every block as an outer product.
    """

    def __init__(self,
                 rows: int,
                 cols: int,
                 n: int,
                 own_rule: bool = True,
                 rank_one: bool = False) -> None:
        super().__init__()
        if rows % n or cols % n:
            raise ValueError(f'PHM needs sizes divisible by n={n}, got '
                             f'{rows} x {cols}')
        self.n = n
        self.rule = nn.Parameter(torch.zeros(n, n, n)) if own_rule else None
        if rank_one:
            self.left = nn.Parameter(torch.zeros(n, rows // n, 1))
            self.right = nn.Parameter(torch.zeros(n, 1, cols // n))
        else:
            self.blocks = nn.Parameter(torch.zeros(n, rows // n, cols // n))

    @property
    def rank_one(self) -> bool:
        return not hasattr(self, 'blocks')

    def weight(self, rule: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The assembled ``rows x cols`` matrix."""
        rule = self.rule if self.rule is not None else rule
        if rule is None:
            raise ValueError('this PHM weight shares its rules: pass rule=')
        blocks = self.left @ self.right if self.rank_one else self.blocks
        return kron_sum(rule, blocks)


class BottleneckAdapter(nn.Module):
    """``f(v) = LN(W_up SiLU(W_down v + b_down) + b_up)`` with learned weights.

    Args:
        width: ``C``.
        bottleneck: ``d``.
        rank: Make ``W_down`` and ``W_up`` rank-``k`` products (low-rank
            adapter); None for dense weights.
        post_norm: LayerNorm after the up projection (``LN_post``).
        phm: PHM weights instead: ``dict(n=4, rank_one=False,
            shared_rules=False)`` (see :class:`PHMWeight`).
    """

    def __init__(self,
                 width: int,
                 bottleneck: int,
                 rank: Optional[int] = None,
                 post_norm: bool = True,
                 phm: Optional[dict] = None) -> None:
        super().__init__()
        if rank is not None and phm is not None:
            raise ValueError('an adapter is low-rank or PHM, not both')
        if phm is not None:
            own = not phm.get('shared_rules', False)
            n, rank_one = phm.get('n', 4), phm.get('rank_one', False)
            self.down = PHMWeight(bottleneck, width, n, own, rank_one)
            self.up = PHMWeight(width, bottleneck, n, own, rank_one)
            self.down_bias = nn.Parameter(torch.zeros(bottleneck))
            self.up_bias = nn.Parameter(torch.zeros(width))
        elif rank is None:
            self.down = nn.Linear(width, bottleneck)
            self.up = nn.Linear(bottleneck, width)
        else:
            self.down = FactoredWeight(bottleneck, width, rank)
            self.up = FactoredWeight(width, bottleneck, rank)
            self.down_bias = nn.Parameter(torch.zeros(bottleneck))
            self.up_bias = nn.Parameter(torch.zeros(width))
        self.norm = nn.LayerNorm(width) if post_norm else None

    def weights(self, rule: Optional[torch.Tensor] = None) -> AdapterWeights:
        """The adapter's current weights.

        Args:
            rule: The shared PHM rules, for PHM adapters that share them.
        """
        if isinstance(self.down, nn.Linear):
            down, down_b = self.down.weight, self.down.bias
            up, up_b = self.up.weight, self.up.bias
        elif isinstance(self.down, PHMWeight):
            down, down_b = self.down.weight(rule), self.down_bias
            up, up_b = self.up.weight(rule), self.up_bias
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
