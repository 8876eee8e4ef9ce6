"""Swin (v1) window attention carrying task prompt tokens (TADFormer).

Computed with an unmodified Swin block's own modules. Each image has one
prompt token per task; every window of the image prepends them to its
tokens, so the attention runs over ``P + N`` rows (``N`` tokens per
window). The ``qkv`` projection runs on all rows; the relative-position
bias and the shift mask are added to the token-token block only (zeros on
the prompt rows and columns), so the tokens attend to the prompts and the
prompts to everything. Unlike
:func:`~mmpoly.models.archs.swin.prompted_attention.prompted_window_attention`
(VPT), the prompts' own outputs are kept, and the raw prompt-token logits
are returned too. The geometry of the shifted windows (padding, cyclic
shift) is the block's ``ShiftWindowMSA``'s, read from its attributes.
"""
import math
from typing import Callable, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..common import mlp_linears
from ..description import TaskPromptAttention


def task_prompt_window_attention(
        msa: nn.Module,
        prompts: torch.Tensor,
        x: torch.Tensor,
        mask: Optional[torch.Tensor] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Window attention over ``[prompts; window tokens]`` in every window.

    Args:
        msa: An mmpretrain / MMSeg ``WindowMSA``.
        prompts: ``(B, P, C)`` prompt tokens of each image.
        x: ``(B * nW, N, C)`` window tokens, the windows of an image
            consecutive (Swin's window partition).
        mask: ``(nW, N, N)`` shift mask, or None.

    Returns:
        ``o = attn @ v`` ``(B * nW, P + N, C)`` (prompt rows first, before
        the output projection) and the raw logits ``q_prompt k_token^T``
        ``(B * nW, heads, P, N)`` (not scaled, no bias).
    """
    b, n, c = x.shape
    images, p, _ = prompts.shape
    if b % images:
        raise ValueError(f'{b} windows do not split into the {images} '
                         'images of the prompts')
    heads = msa.num_heads
    rows = torch.cat([
        prompts.unsqueeze(1).expand(images, b // images, p, c).reshape(
            b, p, c), x
    ], 1)
    qkv = msa.qkv(rows).reshape(b, p + n, 3, heads,
                                c // heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]  # (b, heads, p + n, c / heads)
    logits = q @ k.transpose(-2, -1)
    wh, ww = msa.window_size
    bias = msa.relative_position_bias_table[msa.relative_position_index.view(
        -1)].view(wh * ww, wh * ww, -1).permute(2, 0, 1)
    attn = logits * msa.scale + F.pad(bias, (p, 0, p, 0)).unsqueeze(0)
    if mask is not None:
        nw = mask.shape[0]
        attn = attn.view(b // nw, nw, heads, p + n, p + n) + F.pad(
            mask, (p, 0, p, 0)).unsqueeze(1).unsqueeze(0)
        attn = attn.view(b, heads, p + n, p + n)
    attn = msa.attn_drop(attn.softmax(dim=-1))
    o = (attn @ v).transpose(1, 2).reshape(b, p + n, c)
    return o, logits[:, :, :p, p:]


def project_window_attention(msa: nn.Module, o: torch.Tensor) -> torch.Tensor:
    """The ``WindowMSA``'s output projection and dropout on ``o``."""
    return msa.proj_drop(msa.proj(o))


def window_layout(module: nn.Module,
                  hw_shape: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """``(window, shift, padded H, padded W)`` of a ``ShiftWindowMSA`` on an
    ``H x W`` grid: the grid is padded to whole windows; mmpretrain's
    module without ``pad_small_map`` does not shift a grid one window
    wide (MMSeg's always pads and shifts)."""
    h, w = hw_shape
    window, shift = int(module.window_size), int(module.shift_size)
    if not getattr(module, 'pad_small_map', True) and min(h, w) <= window:
        shift = 0
    return (window, shift, math.ceil(h / window) * window,
            math.ceil(w / window) * window)


def windows_to_tokens(module: nn.Module, windows: torch.Tensor,
                      hw_shape: Tuple[int, int]) -> torch.Tensor:
    """Per-window rows of a ``ShiftWindowMSA`` back in token layout.

    Args:
        module: The block's ``ShiftWindowMSA`` (``block.attn``).
        windows: ``(B * nW, window², C)``, as its ``w_msa`` returns them.
        hw_shape: The block's ``(H, W)`` grid.

    Returns:
        ``(B, H * W, C)``: windows merged, the cyclic shift undone, the
        padding cropped.
    """
    h, w = hw_shape
    window, shift, hp, wp = window_layout(module, hw_shape)
    c = windows.shape[-1]
    grid = windows.view(-1, hp // window, wp // window, window, window, c)
    grid = grid.permute(0, 1, 3, 2, 4, 5).reshape(-1, hp, wp, c)
    if shift:
        grid = torch.roll(grid, shifts=(shift, shift), dims=(1, 2))
    return grid[:, :h, :w].reshape(-1, h * w, c)


def block_mlp_branch(block: nn.Module, x: torch.Tensor, fc1: Callable,
                     fc2: Callable) -> torch.Tensor:
    """``DP(γ · layers(x))`` of the block's MMCV ``FFN`` (no residual), its
    first and last Linear computed by ``fc1`` and ``fc2``, every other
    layer (activation, dropout) its own."""
    ffn = block.ffn
    linears = mlp_linears(ffn)
    for layer in ffn.layers.modules():
        if layer is linears['fc1']:
            x = fc1(x)
        elif layer is linears['fc2']:
            x = fc2(x)
        elif isinstance(layer, nn.Linear):
            raise ValueError(f'{type(block).__name__}.ffn has more than two '
                             'Linear layers; task prompts need fc1 -> fc2')
        elif not list(layer.children()):
            x = layer(x)
    return ffn.dropout_layer(ffn.gamma2(x))


#: The capability of Swin (v1) blocks.
SWIN_TASK_PROMPT_ATTENTION = TaskPromptAttention(
    attend=task_prompt_window_attention,
    project=project_window_attention,
    windows_to_tokens=windows_to_tokens,
    mlp_branch=block_mlp_branch)
