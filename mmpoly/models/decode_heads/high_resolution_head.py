"""The HRNet-style decoder of MTLoRA, bound to one task."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.utils import resize
from mmseg.registry import MODELS

from ...tasks import BaseTask
from .task_decode_head import TaskDecodeHead


@MODELS.register_module()
class HighResolutionHead(TaskDecodeHead):
    """HRNet-style head: upsample, concatenate, 1x1 conv + BN + ReLU, 1x1.

    The inputs (optionally reduced first by a per-task
    :class:`~.Downsampler`) are upsampled bilinearly to the first input's
    resolution and concatenated; a 1x1 convolution with bias to
    ``channels``, BatchNorm and ReLU fuse them, and a 1x1 convolution with
    bias gives the task's channels. This is the decoder of the MTLoRA
    protocol: with the Downsampler's 18 / 36 / 72 / 144 (270 channels) and
    ``channels=1080`` a head has ``294,840 + 1,081 * out_channels``
    parameters, and the Downsampler 183,168 more on Swin-T's merged
    features.

    Args:
        task: The task (or its config), see :class:`TaskDecodeHead`.
        in_channels: Channels of the backbone features.
        channels: Width of the fusion layer (1080 in MTLoRA).
        in_index: Indices of the features to use.
        downsampler_cfg: Config of a per-task channel reducer (its
            ``in_channels`` are filled in), or None.
        norm_cfg: Norm of the fusion layer.
        dropout_ratio: Dropout before the classifier (none in MTLoRA).
        **kwargs: :class:`TaskDecodeHead` arguments.
    """

    def __init__(self,
                 task: Union[BaseTask, dict],
                 in_channels: Sequence[int] = (192, 384, 768, 768),
                 channels: int = 1080,
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 downsampler_cfg: Optional[dict] = dict(type='Downsampler'),
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 dropout_ratio: float = 0.0,
                 **kwargs) -> None:
        super().__init__(
            task,
            in_channels=list(in_channels),
            channels=channels,
            in_index=list(in_index),
            input_transform='multiple_select',
            norm_cfg=norm_cfg,
            dropout_ratio=dropout_ratio,
            **kwargs)
        self.downsampler: Optional[nn.Module] = None
        widths = list(self.in_channels)
        if downsampler_cfg is not None:
            self.downsampler = MODELS.build(
                dict(downsampler_cfg, in_channels=widths))
            widths = list(self.downsampler.out_channels)
        self.fusion_conv = ConvModule(
            sum(widths),
            channels,
            kernel_size=1,
            bias=True,
            norm_cfg=norm_cfg,
            act_cfg=dict(type='ReLU'))

    def forward(self, inputs: Tuple[torch.Tensor]) -> torch.Tensor:
        """Decode features into logits.

        Args:
            inputs: Features ``(N, C_i, H_i, W_i)``.

        Returns:
            ``(N, out_channels, H_0, W_0)`` logits at the first selected
            input's resolution.
        """
        feats: List[torch.Tensor] = self._transform_inputs(inputs)
        if self.downsampler is not None:
            feats = self.downsampler(feats)
        size = feats[0].shape[2:]
        feats = [feats[0]] + [
            resize(x, size=size, mode='bilinear', align_corners=False)
            for x in feats[1:]
        ]
        return self.cls_seg(self.fusion_conv(torch.cat(feats, dim=1)))
