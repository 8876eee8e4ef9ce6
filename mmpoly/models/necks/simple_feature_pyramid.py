"""A parameter-free feature pyramid for plain (single-stride) backbones."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS


@MODELS.register_module()
class SimpleFeaturePyramid(nn.Module):
    """Resample same-stride features to a pyramid of strides.

    A plain ViT gives every output at stride ``p`` (its patch size). As
    ViTDet and MMSeg's ``MultiLevelNeck`` do, output ``i`` is resampled by
    ``scales[i]``: bilinear up-sampling for scales above 1, max-pooling for
    scales below 1 (so with ``(4, 2, 1, 0.5)`` the strides become ``p/4,
    p/2, p, 2p``, the 4/8/16/32 of a hierarchical backbone for ``p = 16``).
    Unlike those necks it has no parameters: channels stay those of the
    backbone, so a parameter-efficient method's count is the method's and
    the heads' alone, and every head written for a hierarchical backbone
    reads it unchanged.

    Args:
        scales: One resampling factor per input feature; powers of two.
    """

    def __init__(self, scales: Sequence[float] = (4.0, 2.0, 1.0, 0.5)) -> None:
        super().__init__()
        self.scales = tuple(float(s) for s in scales)
        for s in self.scales:
            if s <= 0 or not float(torch.tensor(s).log2()).is_integer():
                raise ValueError(
                    f'SimpleFeaturePyramid scales must be powers of two, got '
                    f'{self.scales}')

    def forward(self, feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor]:
        """Resample each ``(N, C_i, H, W)`` feature by its scale.

        Returns:
            ``(N, C_i, H * s_i, W * s_i)`` per input (max-pooling rounds
            odd sizes down).
        """
        if len(feats) != len(self.scales):
            raise ValueError(
                f'SimpleFeaturePyramid has {len(self.scales)} scales but got '
                f'{len(feats)} features')
        outs = []
        for x, s in zip(feats, self.scales):
            if s > 1:
                x = F.interpolate(
                    x, scale_factor=s, mode='bilinear', align_corners=False)
            elif s < 1:
                k = int(round(1 / s))
                x = F.max_pool2d(x, kernel_size=k, stride=k)
            outs.append(x)
        return tuple(outs)
