"""Mona, the multi-cognitive visual adapter (CVPR 2025)."""
from typing import Tuple

import torch
import torch.nn as nn


class MonaAdapter(nn.Module):
    """One Mona on a residual stream of ``C``-channel tokens on an
    ``H x W`` grid.

    With ``x`` the ``(N, H*W, C)`` stream (row-major tokens) and ``b`` the
    bottleneck::

        x~ = LN(x) * gamma + x * gamma_x        # per-channel gamma, gamma_x
        p  = down(x~)                            # Linear(C, b), as b x H x W
        q  = (dw3(p) + dw5(p) + dw7(p)) / 3 + p  # depthwise k x k, 'same'
        q  = q + pointwise(q)                    # Conv1x1(b, b)
        y  = x + up(dropout(GELU(q)))            # Linear(b, C)

    The depthwise and 1x1 convolutions have biases. ``gamma`` starts at
    1e-6 and ``gamma_x`` at 1 (the input nearly unnormalised), the Linears
    truncated-normal (std 0.02, bias 0), the LayerNorm and convolutions as
    PyTorch initialises them, so Mona is not the identity at the start.
    ``(2b + 5) C + b² + 88 b`` parameters (``133 C + 9,728`` for
    ``b = 64``).

    Args:
        dims: ``C``.
        bottleneck: ``b``.
        dropout: Dropout probability before the up projection.
    """

    #: Kernel sizes of the averaged depthwise convolutions.
    KERNELS = (3, 5, 7)

    def __init__(self,
                 dims: int,
                 bottleneck: int = 64,
                 dropout: float = 0.1) -> None:
        super().__init__()
        if dims < 1 or bottleneck < 1:
            raise ValueError(f'MonaAdapter needs positive dims and '
                             f'bottleneck, got {dims} and {bottleneck}')
        self.norm = nn.LayerNorm(dims)
        self.gamma = nn.Parameter(torch.empty(dims))
        self.gamma_x = nn.Parameter(torch.empty(dims))
        self.down = nn.Linear(dims, bottleneck)
        self.depthwise = nn.ModuleList(
            nn.Conv2d(
                bottleneck, bottleneck, k, padding=k // 2, groups=bottleneck)
            for k in self.KERNELS)
        self.pointwise = nn.Conv2d(bottleneck, bottleneck, 1)
        self.act = nn.GELU()
        self.dropout = nn.Dropout(dropout)
        self.up = nn.Linear(bottleneck, dims)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The initialisation described in the class docstring."""
        self.norm.reset_parameters()
        nn.init.constant_(self.gamma, 1e-6)
        nn.init.ones_(self.gamma_x)
        for linear in (self.down, self.up):
            nn.init.trunc_normal_(linear.weight, std=0.02)
            nn.init.zeros_(linear.bias)
        for conv in (*self.depthwise, self.pointwise):
            conv.reset_parameters()

    def forward(self, x: torch.Tensor, hw: Tuple[int, int]) -> torch.Tensor:
        """Mona on ``x``.

        Args:
            x: ``(N, H*W, C)`` tokens, row-major over the grid.
            hw: The grid ``(H, W)``.

        Returns:
            ``(N, H*W, C)``.
        """
        n, length, _ = x.shape
        h, w = hw
        if h * w != length:
            raise ValueError(f'MonaAdapter got {length} tokens for a '
                             f'{h}x{w} grid')
        p = self.down(self.norm(x) * self.gamma + x * self.gamma_x)
        p = p.transpose(1, 2).reshape(n, -1, h, w)
        q = sum(conv(p) for conv in self.depthwise) / len(self.depthwise) + p
        q = q + self.pointwise(q)
        q = q.flatten(2).transpose(1, 2)
        return x + self.up(self.dropout(self.act(q)))
