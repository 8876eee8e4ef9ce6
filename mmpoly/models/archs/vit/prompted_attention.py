"""Plain multi-head self-attention with prompt tokens (VPT-deep on a ViT).

Computes, with an unmodified mmpretrain ``MultiheadAttention``'s own
weights, the attention of every token over ``[tokens; prompts]``. As in
VPT, prompts are attended to by every token and their own outputs are
dropped (so their queries are never computed). With zero prompts it is
exactly ``MultiheadAttention.forward``.
"""
import torch
import torch.nn as nn


def prompted_token_attention(attn: nn.Module, prompts: torch.Tensor,
                             x: torch.Tensor) -> torch.Tensor:
    """Self-attention over the tokens plus shared prompt tokens.

    Args:
        attn: An mmpretrain ``MultiheadAttention`` (without ``v_shortcut``).
        prompts: ``(P, C)`` prompt tokens (in the same space as ``x``).
        x: ``(B, N, C)`` tokens.

    Returns:
        ``(B, N, C)``.
    """
    b, n, c = x.shape
    p, heads, dims = prompts.shape[0], attn.num_heads, attn.head_dims
    qkv = attn.qkv(x).reshape(b, n, 3, heads, dims).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]  # (b, heads, n, dims)
    if p:
        kv = attn.qkv(prompts)[:, c:].reshape(p, 2, heads, dims)
        kv = kv.permute(1, 2, 0, 3)  # (2, heads, p, dims)
        k = torch.cat([k, kv[0].expand(b, -1, -1, -1)], dim=2)
        v = torch.cat([v, kv[1].expand(b, -1, -1, -1)], dim=2)
    drop = attn.attn_drop if attn.training else 0.
    out = attn.scaled_dot_product_attention(q, k, v, dropout_p=drop)
    out = attn.proj(out.transpose(1, 2).reshape(b, n, attn.embed_dims))
    return attn.out_drop(attn.gamma1(attn.proj_drop(out)))
