"""Independent references for the pretrained-checkpoint tests.

- :func:`official_swin_state`: a random state dict with exactly the names
  and shapes of Microsoft's official Swin (V1) release, buffers included;
- :func:`official_swin_features`: that model's forward, written from the
  official architecture (``x0, x1, x2, x3`` patch merging, rolled windows,
  ``-100`` shift masks), sharing no code with mmpretrain or mmpoly;
- :func:`bicubic_resize`: NumPy bicubic resize as PyTorch's
  ``interpolate(mode='bicubic', align_corners=False)`` defines it.
"""
import math
from typing import Dict, Sequence

import numpy as np
import torch
import torch.nn.functional as F


def _relative_index(ws: int) -> torch.Tensor:
    coords = torch.stack(
        torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing='ij'))
    flat = coords.flatten(1)
    rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0)
    rel = rel + (ws - 1)
    return rel[..., 0] * (2 * ws - 1) + rel[..., 1]


def _windows(x: torch.Tensor, ws: int) -> torch.Tensor:
    b, h, w, c = x.shape
    x = x.view(b, h // ws, ws, w // ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, ws * ws, c)


def _unwindows(x: torch.Tensor, ws: int, h: int, w: int) -> torch.Tensor:
    b = x.shape[0] // (h * w // ws // ws)
    x = x.view(b, h // ws, w // ws, ws, ws, -1).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h, w, -1)


def _shift_mask(h: int, w: int, ws: int, shift: int) -> torch.Tensor:
    img = torch.zeros(1, h, w, 1)
    cnt = 0
    cuts = (slice(0, -ws), slice(-ws, -shift), slice(-shift, None))
    for hs in cuts:
        for wsl in cuts:
            img[:, hs, wsl, :] = cnt
            cnt += 1
    win = _windows(img, ws).squeeze(-1)
    mask = win.unsqueeze(1) - win.unsqueeze(2)
    return mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)


def _resolutions(img: int, patch: int, stages: int):
    res = img // patch
    return [res // 2**i for i in range(stages)]


def official_swin_state(embed: int,
                        depths: Sequence[int],
                        heads: Sequence[int],
                        window: int,
                        img: int,
                        num_classes: int = 5,
                        patch: int = 4,
                        seed: int = 0) -> Dict[str, torch.Tensor]:
    """A random official-layout Swin state dict (``checkpoint['model']``)
    for inputs of ``img`` pixels, with its buffers."""
    g = torch.Generator().manual_seed(seed)

    def rnd(*shape):
        return torch.randn(*shape, generator=g) * 0.2

    sd = {
        'patch_embed.proj.weight': rnd(embed, 3, patch, patch),
        'patch_embed.proj.bias': rnd(embed),
        'patch_embed.norm.weight': 1 + rnd(embed),
        'patch_embed.norm.bias': rnd(embed),
    }
    dim = embed
    for i, (depth, nh) in enumerate(zip(depths, heads)):
        res = _resolutions(img, patch, len(depths))[i]
        ws = min(window, res)
        for j in range(depth):
            p = f'layers.{i}.blocks.{j}.'
            sd[p + 'norm1.weight'] = 1 + rnd(dim)
            sd[p + 'norm1.bias'] = rnd(dim)
            sd[p + 'attn.relative_position_bias_table'] = rnd((2 * ws - 1)**2,
                                                              nh)
            sd[p + 'attn.relative_position_index'] = _relative_index(ws)
            sd[p + 'attn.qkv.weight'] = rnd(3 * dim, dim)
            sd[p + 'attn.qkv.bias'] = rnd(3 * dim)
            sd[p + 'attn.proj.weight'] = rnd(dim, dim)
            sd[p + 'attn.proj.bias'] = rnd(dim)
            sd[p + 'norm2.weight'] = 1 + rnd(dim)
            sd[p + 'norm2.bias'] = rnd(dim)
            sd[p + 'mlp.fc1.weight'] = rnd(4 * dim, dim)
            sd[p + 'mlp.fc1.bias'] = rnd(4 * dim)
            sd[p + 'mlp.fc2.weight'] = rnd(dim, 4 * dim)
            sd[p + 'mlp.fc2.bias'] = rnd(dim)
            if j % 2 == 1 and res > window:
                sd[p + 'attn_mask'] = _shift_mask(res, res, ws, ws // 2)
        if i < len(depths) - 1:
            p = f'layers.{i}.downsample.'
            sd[p + 'norm.weight'] = 1 + rnd(4 * dim)
            sd[p + 'norm.bias'] = rnd(4 * dim)
            sd[p + 'reduction.weight'] = rnd(2 * dim, 4 * dim)
            dim *= 2
    sd['norm.weight'] = 1 + rnd(dim)
    sd['norm.bias'] = rnd(dim)
    sd['head.weight'] = rnd(num_classes, dim)
    sd['head.bias'] = rnd(num_classes)
    return sd


def _ln(x, sd, name):
    w = sd[name + '.weight']
    return F.layer_norm(x, w.shape, w, sd[name + '.bias'], 1e-5)


def official_swin_features(sd: Dict[str, torch.Tensor], x: torch.Tensor,
                           depths: Sequence[int], heads: Sequence[int],
                           window: int) -> torch.Tensor:
    """The official Swin's final normalised features ``(B, C, H, W)``."""
    w = sd['patch_embed.proj.weight']
    x = F.conv2d(x, w, sd['patch_embed.proj.bias'], stride=w.shape[-1])
    b, c, h, wd = x.shape
    x = _ln(x.flatten(2).transpose(1, 2), sd, 'patch_embed.norm')
    for i, (depth, nh) in enumerate(zip(depths, heads)):
        for j in range(depth):
            p = f'layers.{i}.blocks.{j}.'
            ws, shift = window, (window // 2 if j % 2 else 0)
            if min(h, wd) <= window:
                ws, shift = min(h, wd), 0
            shortcut = x
            t = _ln(x, sd, p + 'norm1').view(b, h, wd, c)
            if shift:
                t = torch.roll(t, (-shift, -shift), (1, 2))
            win = _windows(t, ws)
            n = ws * ws
            qkv = F.linear(win, sd[p + 'attn.qkv.weight'],
                           sd[p + 'attn.qkv.bias'])
            qkv = qkv.reshape(-1, n, 3, nh, c // nh).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0] * (c // nh)**-0.5, qkv[1], qkv[2]
            attn = q @ k.transpose(-2, -1)
            table = sd[p + 'attn.relative_position_bias_table']
            bias = table[_relative_index(ws).view(-1)].view(n, n, nh)
            attn = attn + bias.permute(2, 0, 1).unsqueeze(0)
            if shift:
                mask = _shift_mask(h, wd, ws, shift)
                nw = mask.shape[0]
                attn = attn.view(-1, nw, nh, n, n) + mask[None, :, None]
                attn = attn.view(-1, nh, n, n)
            out = (attn.softmax(-1) @ v).transpose(1, 2).reshape(-1, n, c)
            out = F.linear(out, sd[p + 'attn.proj.weight'],
                           sd[p + 'attn.proj.bias'])
            t = _unwindows(out, ws, h, wd)
            if shift:
                t = torch.roll(t, (shift, shift), (1, 2))
            x = shortcut + t.reshape(b, h * wd, c)
            m = _ln(x, sd, p + 'norm2')
            m = F.gelu(
                F.linear(m, sd[p + 'mlp.fc1.weight'], sd[p + 'mlp.fc1.bias']))
            x = x + F.linear(m, sd[p + 'mlp.fc2.weight'],
                             sd[p + 'mlp.fc2.bias'])
        if i < len(depths) - 1:
            p = f'layers.{i}.downsample.'
            t = x.view(b, h, wd, c)
            t = torch.cat([
                t[:, 0::2, 0::2], t[:, 1::2, 0::2], t[:, 0::2, 1::2],
                t[:, 1::2, 1::2]
            ], -1).view(b, -1, 4 * c)
            x = F.linear(_ln(t, sd, p + 'norm'), sd[p + 'reduction.weight'])
            h, wd, c = h // 2, wd // 2, 2 * c
    x = _ln(x, sd, 'norm')
    return x.transpose(1, 2).reshape(b, c, h, wd)


def _cubic(t: float, a: float = -0.75) -> np.ndarray:
    """The four bicubic weights of a fractional offset ``t``."""

    def near(d):
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    return np.array([far(t + 1), near(t), near(1 - t), far(2 - t)])


def _resize_axis(x: np.ndarray, size: int, axis: int) -> np.ndarray:
    x = np.moveaxis(x, axis, 0)
    n = x.shape[0]
    out = np.zeros((size, ) + x.shape[1:])
    for o in range(size):
        src = (o + 0.5) * n / size - 0.5
        base = math.floor(src)
        weights = _cubic(src - base)
        for k in range(4):
            idx = min(max(base - 1 + k, 0), n - 1)
            out[o] += weights[k] * x[idx]
    return np.moveaxis(out, 0, axis)


def bicubic_resize(grid: np.ndarray, size: int) -> np.ndarray:
    """Resize the last two axes of ``grid`` to ``size x size``."""
    out = _resize_axis(grid.astype(np.float64), size, grid.ndim - 2)
    return _resize_axis(out, size, grid.ndim - 1)
