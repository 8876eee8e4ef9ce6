"""The low-rank branch of LoRA and MTLoRA."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class LoRABranch(nn.Module):
    """``Δ(x) = scale · B A LN(dropout(x))`` with ``A: in -> r``,
    ``B: r -> out``.

    Args:
        in_dims, out_dims: Sizes of the adapted Linear.
        rank: ``r``.
        branch_norm: LayerNorm on the branch input.
        scale: Multiplier of the branch (``alpha / r`` in LoRA's notation).
        dropout: Dropout on the branch input.
    """

    def __init__(self,
                 in_dims: int,
                 out_dims: int,
                 rank: int,
                 branch_norm: bool,
                 scale: float,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(in_dims) if branch_norm else None
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.down = nn.Linear(in_dims, rank, bias=False)  # A
        self.up = nn.Linear(rank, out_dims, bias=False)  # B
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., in_dims)`` -> ``(..., out_dims)``."""
        return self.low_rank(self.dropped(x))

    def dropped(self, x: torch.Tensor) -> torch.Tensor:
        """The branch's dropout on ``x`` (``x`` itself without one)."""
        return x if self.dropout is None else self.dropout(x)

    def low_rank(self, x: torch.Tensor) -> torch.Tensor:
        """``scale · B A LN(x)``: the branch without its dropout,
        ``(..., in_dims)`` -> ``(..., out_dims)``. The scale multiplies
        ``B`` (``out × r`` numbers), not the ``(..., out_dims)`` output:
        the same product, one pass over the activations fewer in forward
        and backward."""
        if self.norm is not None:
            x = self.norm(x)
        return F.linear(self.down(x), self.up.weight * self.scale)

    def reset_parameters(self,
                         init: str = 'normal',
                         std: float = 0.01) -> None:
        """``A`` ~ N(0, std²) (``'normal'``) or Kaiming-uniform
        (``'kaiming'``); ``B = 0``, so the branch starts at zero."""
        if init == 'normal':
            nn.init.normal_(self.down.weight, std=std)
        elif init == 'kaiming':
            nn.init.kaiming_uniform_(self.down.weight, a=math.sqrt(5))
        else:
            raise ValueError(f"init must be 'normal' or 'kaiming', got "
                             f'{init!r}')
        nn.init.zeros_(self.up.weight)
