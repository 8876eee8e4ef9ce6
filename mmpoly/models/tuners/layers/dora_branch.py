"""The weight-decomposed low-rank branch of DoRA (Liu et al., ICML 2024).

DoRA writes an adapted weight as a magnitude times a direction,
``W' = diag(m / n) · (W + s·B A)`` with ``n = ‖W + s·B A‖`` taken per
output unit (over the input axis), and trains the magnitude ``m`` and the
low-rank update ``B A`` of the direction while ``W`` stays frozen. As in the
PEFT library's implementation (and the paper's section 4.3), the norm ``n``
is computed with ``B A`` detached and is then detached itself: it is treated
as a constant, so no gradient flows through it.
"""
import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


class DoRABranch(nn.Module):
    """DoRA on one frozen ``nn.Linear``, as a term added to its output.

    With ``r = m / n`` (one ratio per output unit) and ``x' = dropout(x)``,
    the adapted Linear computes

    ``y = W x + b + (r − 1) ⊙ (W x') + r ⊙ s·B A x'``,

    which, without dropout, is ``diag(r)·(W + s·B A) x + b``: the bias is
    never rescaled. :meth:`forward` returns the term after ``W x + b``.

    The magnitude is initialised to the row norms of the Linear's weight
    when the branch is built (the pretrained weights are loaded by then);
    with ``B = 0`` that is ``‖W + s·B A‖``, so the branch starts at zero.

    Args:
        linear: The frozen Linear to adapt (its weight gives ``m``'s
            initial value; the branch keeps no reference to it).
        rank: ``r`` of ``A: in -> r`` and ``B: r -> out``.
        scale: ``s``, the multiplier of ``B A`` (``alpha / r`` in LoRA's
            notation).
        dropout: Dropout probability on the branch input ``x'``.
    """

    def __init__(self,
                 linear: nn.Linear,
                 rank: int,
                 scale: float,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if rank < 1:
            raise ValueError(f'DoRABranch rank must be positive, got {rank}')
        out_dims, in_dims = linear.weight.shape
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.down = nn.Linear(in_dims, rank, bias=False)  # A
        self.up = nn.Linear(rank, out_dims, bias=False)  # B
        self.scale = scale
        with torch.no_grad():
            norm = torch.linalg.norm(linear.weight.float(), dim=1)
        self.magnitude = nn.Parameter(norm)  # m, (out_dims, )

    def delta_weight(self) -> torch.Tensor:
        """``s·B A``, ``(out_dims, in_dims)``."""
        return self.up.weight @ self.down.weight * self.scale

    def weight_norm(self, linear: nn.Linear) -> torch.Tensor:
        """``n = ‖W + s·B A‖`` over the input axis, ``(out_dims, )``,
        computed without gradient (a constant of the step)."""
        with torch.no_grad():
            weight = linear.weight + self.delta_weight().to(
                linear.weight.dtype)
            return torch.linalg.norm(weight.float(), dim=1)

    def ratio(self, linear: nn.Linear) -> torch.Tensor:
        """``m / n``, ``(out_dims, )``; gradient only to ``m``."""
        return self.magnitude / self.weight_norm(linear)

    def forward(self,
                x: torch.Tensor,
                frozen: torch.Tensor,
                linear: nn.Linear,
                base_input: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The term added to the frozen output.

        ``(r − 1) ⊙ (W·drop(base_input)) + r ⊙ s·B A·drop(x)``. In a plain
        DoRA Linear ``base_input`` is ``x`` itself; a task stream passes the
        shared pass's input there while ``x`` is the stream's own. One
        dropout mask is drawn for both (they have the same shape), so that
        with ``base_input = x`` this is the plain DoRA term. Without dropout
        (none, or eval mode) ``W·base_input`` is ``frozen − b``.

        Args:
            x: Input of the low-rank term, ``(..., in_dims)``.
            frozen: ``W·base_input + b``, ``(..., out_dims)``.
            linear: The adapted frozen Linear (its weight and bias).
            base_input: Input of the frozen output ``frozen``,
                ``(..., in_dims)``; None when it is ``x``.

        Returns:
            ``(..., out_dims)``.
        """
        if self.dropout is None or not self.training:
            base = frozen if linear.bias is None else frozen - linear.bias
        else:
            if base_input is not None and base_input.shape != x.shape:
                raise ValueError(
                    f'DoRABranch: base_input {tuple(base_input.shape)} and '
                    f'x {tuple(x.shape)} must have one shape to share a '
                    'dropout mask')
            mask = self.dropout(torch.ones_like(x))
            base = F.linear((x if base_input is None else base_input) * mask,
                            linear.weight)
            x = x * mask
        ratio = self.ratio(linear).to(frozen.dtype)
        low_rank = self.up(self.down(x)) * self.scale
        return (ratio - 1) * base + ratio * low_rank

    def merged_weight(self, linear: nn.Linear) -> torch.Tensor:
        """``diag(m / n)·(W + s·B A)``, the Linear's weight with the branch
        folded in, ``(out_dims, in_dims)`` (its bias is unchanged).
        Gradients reach ``m``, ``A`` and ``B`` as in :meth:`forward` (``n``
        is a constant), so without dropout the merged Linear trains like the
        branch."""
        weight = linear.weight + self.delta_weight().to(linear.weight.dtype)
        return self.ratio(linear).to(weight.dtype)[:, None] * weight

    def reset_parameters(self,
                         init: str = 'kaiming',
                         std: float = 0.01) -> None:
        """``A`` Kaiming-uniform (``'kaiming'``, bound ``1/√in``, as PEFT
        and MTLoRA) or ~ N(0, std²) (``'normal'``); ``B = 0``, so the branch
        starts at zero. The magnitude is left as built."""
        if init == 'normal':
            nn.init.normal_(self.down.weight, std=std)
        elif init == 'kaiming':
            nn.init.kaiming_uniform_(self.down.weight, a=math.sqrt(5))
        else:
            raise ValueError(f"DoRABranch init must be 'normal' or "
                             f"'kaiming', got {init!r}")
        nn.init.zeros_(self.up.weight)
