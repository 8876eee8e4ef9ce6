"""MTLoRA's per-task channel reduction of the stage features."""
from typing import List, Sequence

import torch
import torch.nn as nn
from mmseg.registry import MODELS


@MODELS.register_module()
class Downsampler(nn.Module):
    """One bias-free 1x1 convolution per input feature, ``C_i -> c_i``.

    MTLoRA's decoders reduce Swin-T's features after patch merging
    (192 / 384 / 768 / 768 channels) to 18 / 36 / 72 / 144 channels, one
    reducer per task: 183,168 parameters.

    Args:
        in_channels: Channels ``C_i`` of the inputs.
        out_channels: Channels ``c_i`` of the outputs.
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        out_channels: Sequence[int] = (18, 36, 72, 144)
    ) -> None:
        super().__init__()
        if len(in_channels) != len(out_channels):
            raise ValueError(
                f'Downsampler has {len(out_channels)} out_channels '
                f'{tuple(out_channels)} for {len(in_channels)} inputs '
                f'{tuple(in_channels)}')
        self.out_channels = tuple(out_channels)
        self.convs = nn.ModuleList(
            nn.Conv2d(c_in, c_out, 1, bias=False)
            for c_in, c_out in zip(in_channels, out_channels))

    def forward(self, feats: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """``(N, C_i, H_i, W_i)`` -> ``(N, c_i, H_i, W_i)`` per input."""
        return [conv(x) for conv, x in zip(self.convs, feats)]
