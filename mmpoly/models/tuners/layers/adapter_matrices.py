"""The learned matrices of a bottleneck adapter, in three parameterisations.

Each kind answers the same questions, so the adapter and its tuner need not
know which one they hold: :meth:`matrix` (full or as factors, see
:func:`.adapter_weights.linear`), :attr:`has_bias` (whether the matrix owns
its bias, as ``nn.Linear`` does), :meth:`reset_parameters` (the reference
initialisation ``N(0, std²)``) and :meth:`zero_` (make the matrix zero, so
that an up projection starts the adapter at zero output).
"""
from typing import Optional

import torch
import torch.nn as nn

from .adapter_weights import Weight
from .kronecker import kron_sum


class AdapterMatrix(nn.Module):
    """Interface of an adapter's ``rows x cols`` learned matrix."""

    #: Whether the matrix holds its bias (as ``bias``); otherwise the adapter
    #: keeps it.
    has_bias: bool = False

    def matrix(self, rule: Optional[torch.Tensor] = None) -> Weight:
        """The matrix (``rule``: shared PHM rules, where used)."""
        raise NotImplementedError

    def reset_parameters(self, std: float) -> None:
        """Every parameter ~ ``N(0, std²)`` (a bias: zero)."""
        raise NotImplementedError

    def zero_(self) -> None:
        """Make the matrix zero while it still receives gradients."""
        raise NotImplementedError


class DenseMatrix(nn.Linear, AdapterMatrix):
    """A full matrix with its bias (an ``nn.Linear``; keys ``weight``,
    ``bias``).

    Args:
        rows, cols: Size of the matrix (``out``, ``in``).
    """

    has_bias = True

    def __init__(self, rows: int, cols: int) -> None:
        super().__init__(cols, rows)

    def matrix(self, rule: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.weight

    def reset_parameters(self, std: Optional[float] = None) -> None:
        """``N(0, std²)`` weight and zero bias; without ``std`` (as
        ``nn.Linear.__init__`` calls it) PyTorch's default."""
        if std is None:
            super().reset_parameters()
            return
        nn.init.normal_(self.weight, std=std)
        nn.init.zeros_(self.bias)

    def zero_(self) -> None:
        nn.init.zeros_(self.weight)


class FactoredMatrix(AdapterMatrix):
    """A ``rows x cols`` matrix kept as factors ``L (rows x k)``,
    ``R (k x cols)`` and never materialised.

    Args:
        rows, cols: Size of the matrix.
        rank: ``k``.
    """

    def __init__(self, rows: int, cols: int, rank: int) -> None:
        super().__init__()
        self.left = nn.Parameter(torch.zeros(rows, rank))
        self.right = nn.Parameter(torch.zeros(rank, cols))

    def matrix(self, rule: Optional[torch.Tensor] = None) -> Weight:
        return self.left, self.right

    def reset_parameters(self, std: float) -> None:
        nn.init.normal_(self.left, std=std)
        nn.init.normal_(self.right, std=std)

    def zero_(self) -> None:
        nn.init.zeros_(self.left)


class PHMMatrix(AdapterMatrix):
    """A parameterised hypercomplex multiplication matrix (PHM, Compacter).

    ``W = sum_{i=1..n} A_i ⊗ B_i`` (``rows x cols``) with rule matrices
    ``A_i (n x n)`` and blocks ``B_i (rows/n x cols/n)``; Compacter factors
    each block as ``B_i = s_i t_i^T`` (rank one) and shares the rules.

    Args:
        rows, cols: Size of ``W`` (both divisible by ``n``).
        n: Number of Kronecker terms (hypercomplex dimension).
        own_rule: Hold ``A (n x n x n)`` here; otherwise it is passed to
            :meth:`matrix` (shared rules).
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
        self.rank_one = rank_one
        self.rule = nn.Parameter(torch.zeros(n, n, n)) if own_rule else None
        if rank_one:
            self.left = nn.Parameter(torch.zeros(n, rows // n, 1))
            self.right = nn.Parameter(torch.zeros(n, 1, cols // n))
        else:
            self.blocks = nn.Parameter(torch.zeros(n, rows // n, cols // n))

    def matrix(self, rule: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The assembled ``rows x cols`` matrix."""
        rule = self.rule if self.rule is not None else rule
        if rule is None:
            raise ValueError('this PHM matrix shares its rules: pass rule=')
        blocks = self.left @ self.right if self.rank_one else self.blocks
        return kron_sum(rule, blocks)

    def reset_parameters(self, std: float) -> None:
        for p in self.parameters(recurse=False):
            nn.init.normal_(p, std=std)

    def zero_(self) -> None:
        nn.init.zeros_(self.left if self.rank_one else self.blocks)
