"""Window attention with prompt tokens appended to every window.

Computes, with an unmodified Swin ``WindowMSA``'s own weights, the attention
of each window's tokens over ``[window tokens; prompts]``: the
relative-position bias and the shift mask are padded with zeros for the
prompt columns (prompts are visible from every position of every window),
and the prompts' outputs are dropped after attention (so their queries are
never computed). With zero prompts it is exactly ``WindowMSA.forward``.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


def prompted_window_attention(
        msa: nn.Module,
        prompts: torch.Tensor,
        x: torch.Tensor,
        mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Window attention over window tokens plus shared prompt tokens.

    Args:
        msa: An mmpretrain / MMSeg ``WindowMSA``.
        prompts: ``(P, C)`` prompt tokens (in the same space as ``x``).
        x: ``(num_windows * B, N, C)`` window tokens.
        mask: ``(num_windows, N, N)`` shift mask, or None.

    Returns:
        ``(num_windows * B, N, C)``.
    """
    b, n, c = x.shape
    p = prompts.shape[0]
    heads = msa.num_heads
    qkv = msa.qkv(x).reshape(b, n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]  # (b, heads, n, c/heads)
    if p:
        # prompts' keys and values, computed once for every window
        kv = msa.qkv(prompts)[:, c:].reshape(p, 2, heads, c // heads)
        kv = kv.permute(1, 2, 0, 3)  # (2, heads, p, c/heads)
        k = torch.cat([k, kv[0].expand(b, -1, -1, -1)], dim=2)
        v = torch.cat([v, kv[1].expand(b, -1, -1, -1)], dim=2)
    attn = (q * msa.scale) @ k.transpose(-2, -1)  # (b, heads, n, n + p)
    wh, ww = msa.window_size
    bias = msa.relative_position_bias_table[msa.relative_position_index.view(
        -1)].view(wh * ww, wh * ww, -1)
    bias = F.pad(bias.permute(2, 0, 1), (0, p))  # (heads, n, n + p)
    attn = attn + bias.unsqueeze(0)
    if mask is not None:
        nw = mask.shape[0]
        attn = attn.view(b // nw, nw, heads, n, n + p) + F.pad(
            mask, (0, p)).unsqueeze(1).unsqueeze(0)
        attn = attn.view(-1, heads, n, n + p)
    attn = msa.attn_drop(attn.softmax(dim=-1))
    out = (attn @ v).transpose(1, 2).reshape(b, n, c)
    return msa.proj_drop(msa.proj(out))
