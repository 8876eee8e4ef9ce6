"""Building blocks of the hypernetworks that generate adapter weights.

Modules that hold embeddings (task, layer, position embeddings, scaling
kernels) name them in ``embedding_names``; the hypernetwork tuners draw
those from ``N(0, embed_std²)`` and every ``nn.Linear`` from
``N(0, linear_std²)`` (:func:`reset_hypernetwork`).
"""
from typing import Optional, Tuple

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
    def zero_(self) -> None:
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

    def zero_(self) -> None:
        """Generate zero matrices."""
        nn.init.zeros_(self.fc.weight)
        nn.init.zeros_(self.fc.bias)

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        """``(..., P)`` -> ``(..., rows, cols)``."""
        return self.fc(code).unflatten(-1, (self.rows, self.cols))


#: The tensors an adapter generator set emits for a code ``(..., P)``:
#: down and up matrices (full, or ``(L, R)`` factors), both biases, and the
#: LayerNorm's γ and β (None without norm generators).
GeneratedTensors = Tuple[object, object, torch.Tensor, torch.Tensor,
                         Optional[torch.Tensor], Optional[torch.Tensor]]


class AdapterGenerators:
    """Mixin: the generators of one adapter's weights from a code ``z``.

    :meth:`build_generators` adds, as submodules of the host module,
    ``down`` (``d x C``) and ``up`` (``C x d``) generators (low-rank with a
    rank, else full), Linear ``down_bias``, ``up_bias`` and, with
    ``norm_generators``, ``norm_weight`` / ``norm_bias``.
    """

    def build_generators(self, code_dims: int, width: int, bottleneck: int,
                         rank: Optional[int], norm_generators: bool) -> None:
        if rank is None:
            self.down = FullGenerator(code_dims, bottleneck, width)
            self.up = FullGenerator(code_dims, width, bottleneck)
        else:
            self.down = LowRankGenerator(code_dims, bottleneck, width, rank)
            self.up = LowRankGenerator(code_dims, width, bottleneck, rank)
        self.down_bias = nn.Linear(code_dims, bottleneck)
        self.up_bias = nn.Linear(code_dims, width)
        self.norm_weight = nn.Linear(code_dims, width) \
            if norm_generators else None
        self.norm_bias = nn.Linear(code_dims, width) \
            if norm_generators else None

    def generate_tensors(self, code: torch.Tensor) -> GeneratedTensors:
        """Every generated tensor for ``code`` ``(..., P)``."""
        gamma = self.norm_weight(code) if self.norm_weight is not None \
            else None
        beta = self.norm_bias(code) if self.norm_bias is not None else None
        return (self.down(code), self.up(code), self.down_bias(code),
                self.up_bias(code), gamma, beta)

    @torch.no_grad()
    def zero_output_(self) -> None:
        """Zero what the adapter adds to the stream: the up matrix, the up
        bias and the LayerNorm shift (the adapters then output 0)."""
        self.up.zero_()
        for linear in (self.up_bias, self.norm_bias):
            if linear is not None:
                nn.init.zeros_(linear.weight)
                nn.init.zeros_(linear.bias)


def reset_hypernetwork(module: nn.Module, linear_std: float,
                       embed_std: float) -> None:
    """The reference initialisation of a hypernetwork tuner.

    The embeddings every submodule declares in ``embedding_names`` ~
    N(0, embed_std²) (in module order); then every ``nn.Linear`` ~
    N(0, linear_std²) with zero bias; LayerNorms keep (1, 0).
    """
    for m in module.modules():
        for name in getattr(m, 'embedding_names', ()):
            p = getattr(m, name, None)
            if p is not None:
                nn.init.normal_(p, std=embed_std)
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=linear_std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
