"""The learned scaling vectors of IA³ for one block."""
import torch
import torch.nn as nn


class IA3Scales(nn.Module):
    """``l_k``, ``l_v`` (``C``) and ``l_ff`` (the FFN's hidden width), all
    initialised to one, so the block starts as the frozen one.

    Args:
        dims: Width ``C`` of the block (keys and values).
        hidden_dims: Hidden width of the block's FFN.
        targets: Which of ``key``, ``value``, ``ffn`` are scaled.
    """

    def __init__(self, dims: int, hidden_dims: int, targets: tuple) -> None:
        super().__init__()
        self.dims = dims
        sizes = dict(key=dims, value=dims, ffn=hidden_dims)
        for name in targets:
            setattr(self, name, nn.Parameter(torch.ones(sizes[name])))

    def qkv_scale(self) -> torch.Tensor:
        """``(3 C,)``: ones for the queries, then ``l_k`` and ``l_v`` (ones
        where not scaled), the layout of a fused q;k;v Linear's output."""
        ref = next(self.parameters())
        ones = torch.ones(self.dims, dtype=ref.dtype, device=ref.device)
        key = getattr(self, 'key', None)
        value = getattr(self, 'value', None)
        return torch.cat([
            ones, ones if key is None else key,
            ones if value is None else value
        ])

    def reset_parameters(self) -> None:
        for p in self.parameters():
            nn.init.ones_(p)
