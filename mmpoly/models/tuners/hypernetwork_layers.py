"""Building blocks of the hypernetworks that generate adapter weights."""
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


class TaskProjector(nn.Module):
    """``z = LN(W2 ReLU(W1 c + c1) + c2)``: conditioning -> code.

    Args:
        in_dims: Width of the conditioning vector ``c`` (e.g. ``3E`` for
            task, layer and position embeddings).
        hidden_dims: ``h``.
        out_dims: Code width ``P``.
    """

    def __init__(self, in_dims: int, hidden_dims: int, out_dims: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_dims, hidden_dims)
        self.fc2 = nn.Linear(hidden_dims, out_dims)
        self.norm = nn.LayerNorm(out_dims)

    def forward(self, cond: torch.Tensor) -> torch.Tensor:
        """``(..., in_dims)`` -> ``(..., out_dims)``."""
        return self.norm(self.fc2(F.relu(self.fc1(cond))))


class LowRankGenerator(nn.Module):
    """Generates a rank-``k`` matrix ``W = L R`` of size ``rows x cols``.

    One ``Linear(P -> k (rows + cols))`` emits ``L`` (``rows x k``) and
    ``R`` (``k x cols``): ``(P + 1) k (rows + cols)`` parameters instead of
    ``(P + 1) rows cols`` for a full generator.

    Args:
        code_dims: ``P``.
        rows, cols: Size of the generated matrix.
        rank: ``k``.
    """

    def __init__(self, code_dims: int, rows: int, cols: int,
                 rank: int) -> None:
        super().__init__()
        self.rows, self.cols, self.rank = rows, cols, rank
        self.fc = nn.Linear(code_dims, rank * (rows + cols))

    @torch.no_grad()
    def zero_left_(self) -> None:
        """Make every generated ``L`` (hence ``W``) zero while ``R`` stays
        random, so ``W`` starts at 0 and still receives gradients."""
        n = self.rows * self.rank
        self.fc.weight[:n].zero_()
        self.fc.bias[:n].zero_()

    def forward(self, code: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(..., P)`` -> ``L (..., rows, k)``, ``R (..., k, cols)``."""
        out = self.fc(code)
        left, right = out.split([self.rows * self.rank, self.rank * self.cols],
                                dim=-1)
        return (left.unflatten(-1, (self.rows, self.rank)),
                right.unflatten(-1, (self.rank, self.cols)))


class FullGenerator(nn.Module):
    """Generates a full ``rows x cols`` matrix: ``Linear(P -> rows cols)``."""

    def __init__(self, code_dims: int, rows: int, cols: int) -> None:
        super().__init__()
        self.rows, self.cols = rows, cols
        self.fc = nn.Linear(code_dims, rows * cols)

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        """``(..., P)`` -> ``(..., rows, cols)``."""
        return self.fc(code).unflatten(-1, (self.rows, self.cols))


def init_hypernetwork(module: nn.Module, linear_std: float,
                      embed_std: float) -> None:
    """The reference initialisation, made explicit.

    Every parameter whose name contains ``embed`` or ``kernel`` ~
    N(0, embed_std²); then every ``nn.Linear`` ~ N(0, linear_std²) with zero
    bias; LayerNorms keep (1, 0).
    """
    for name, p in module.named_parameters():
        if 'embed' in name or 'kernel' in name:
            nn.init.normal_(p, std=embed_std)
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=linear_std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
