"""The filters of TADFormer's task-adaptive low-rank terms.

TADFormer filters the rank-``r`` map ``A x`` of a LoRA term spatially
before ``B``: a ``(N, r, H, W)`` map (the tokens of a window or of the
whole grid) goes through a depthwise 3x3 convolution, either a plain one
per task (``naive``, the authors' released code) or one whose kernels are
generated from the map itself (``dynamic``: the DTF of the paper, one per
adapted Linear, shared by the tasks).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

#: The filter kinds.
FILTER_KINDS = ('dynamic', 'naive')


def naive_task_filter(channels: int, kernel_size: int = 3) -> nn.Conv2d:
    """A depthwise ``kernel_size²`` convolution with bias, PyTorch's
    default initialisation (``(k² + 1) · channels`` parameters)."""
    return nn.Conv2d(
        channels,
        channels,
        kernel_size,
        padding=kernel_size // 2,
        groups=channels)


class FilterNorm(nn.Module):
    """Normalises generated depthwise kernels, channel by channel.

    For every channel, the ``taps`` kernel values are centred and divided
    by their (unbiased) standard deviation ``+ 1e-10``, then scaled by a
    learned ``std`` and shifted by a learned ``mean`` (one value per
    channel and tap each).

    Args:
        channels: Channels ``c`` of the filtered map.
        taps: Values per kernel (``k²``).
        gain: Scale of the initial ``std``: ``std ~ N(0, 1) · gain``
            (``sqrt(2) / 3`` for 3x3 kernels: the ReLU gain over ``k``);
            ``mean ~ N(0, 1)``.
    """

    def __init__(self, channels: int, taps: int, gain: float) -> None:
        super().__init__()
        self.channels, self.taps, self.gain = channels, taps, gain
        self.std = nn.Parameter(torch.empty(channels * taps))
        self.mean = nn.Parameter(torch.empty(channels * taps))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.std.normal_().mul_(self.gain)
            self.mean.normal_()

    def forward(self, kernels: torch.Tensor) -> torch.Tensor:
        """``(N, c · taps)`` -> ``(N, c · taps)``."""
        n = kernels.shape[0]
        k = kernels.view(n, self.channels, self.taps)
        k = k - k.mean(dim=2, keepdim=True)
        k = k / (k.std(dim=2, keepdim=True) + 1e-10)
        return k.reshape(n, -1) * self.std + self.mean


class DynamicTaskFilter(nn.Module):
    """A depthwise convolution whose kernels each sample generates.

    ``kernels = FilterNorm(Conv1x1(GAP(x)))`` (``c -> c k²`` with bias),
    then every sample is filtered by its own depthwise ``k x k`` kernels
    (zero padding, same size). ``9 c² + 27 c`` parameters for ``k = 3``.

    Args:
        channels: Channels ``c`` of the filtered map.
        kernel_size: ``k``.
    """

    def __init__(self, channels: int, kernel_size: int = 3) -> None:
        super().__init__()
        self.channels, self.kernel_size = channels, kernel_size
        taps = kernel_size**2
        self.generate = nn.Conv2d(channels, channels * taps, 1)
        self.norm = FilterNorm(
            channels, taps, gain=math.sqrt(2.0) / kernel_size)

    def kernels(self, x: torch.Tensor) -> torch.Tensor:
        """The per-sample kernels ``(N, c, k, k)`` of ``x``
        ``(N, c, H, W)``."""
        n, k = x.shape[0], self.kernel_size
        generated = self.generate(x.mean(dim=(2, 3), keepdim=True))
        return self.norm(generated.view(n, -1)).view(n, self.channels, k, k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, c, H, W)`` -> ``(N, c, H, W)``."""
        n, c, h, w = x.shape
        weight = self.kernels(x).reshape(n * c, 1, self.kernel_size,
                                         self.kernel_size)
        out = F.conv2d(
            x.reshape(1, n * c, h, w),
            weight,
            padding=self.kernel_size // 2,
            groups=n * c)
        return out.view(n, c, h, w)
