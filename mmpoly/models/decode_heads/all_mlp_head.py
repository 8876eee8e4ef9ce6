"""SegFormer's all-MLP decode head, bound to one task."""
from typing import List, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.utils import resize
from mmseg.registry import MODELS

from ...tasks import BaseTask
from .task_decode_head import TaskDecodeHead


@MODELS.register_module()
class AllMLPHead(TaskDecodeHead):
    """The all-MLP decoder of SegFormer (Xie et al., NeurIPS 2021).

    For each input stage ``i``: a Linear ``C_i -> channels`` with bias on
    every token, then bilinear upsampling to the first input's resolution;
    the maps are concatenated, fused by a 1x1 convolution without bias + BN +
    ReLU, passed through dropout and classified by a 1x1 convolution with
    bias. This is the original SegFormer head, not MMSeg's ``SegformerHead``
    (which uses conv + BN per stage).

    With Swin-T stages (96, 192, 384, 768) and 256 channels it has
    ``632,320 + 257 * out_channels`` parameters.

    Args:
        task: The task (or its config), see :class:`TaskDecodeHead`.
        in_channels: Channels of the stage features.
        channels: Embedding width (256 in the benchmark).
        in_index: Indices of the stage features to use.
        norm_cfg: Norm of the fusion layer.
        **kwargs: :class:`TaskDecodeHead` arguments.
    """

    def __init__(self,
                 task: Union[BaseTask, dict],
                 in_channels: Sequence[int] = (96, 192, 384, 768),
                 channels: int = 256,
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 **kwargs) -> None:
        super().__init__(
            task,
            in_channels=list(in_channels),
            channels=channels,
            in_index=list(in_index),
            input_transform='multiple_select',
            norm_cfg=norm_cfg,
            **kwargs)
        self.linear_embeds = nn.ModuleList(
            nn.Linear(c, channels) for c in self.in_channels)
        self.fusion_conv = ConvModule(
            channels * len(self.in_channels),
            channels,
            kernel_size=1,
            bias=False,
            norm_cfg=norm_cfg,
            act_cfg=self.act_cfg)

    def forward(self, inputs: Tuple[torch.Tensor]) -> torch.Tensor:
        """Decode stage features into logits.

        Args:
            inputs: Stage features ``(N, C_i, H_i, W_i)``.

        Returns:
            ``(N, out_channels, H_0, W_0)`` logits at the first selected
            stage's resolution.
        """
        feats: List[torch.Tensor] = self._transform_inputs(inputs)
        size = feats[0].shape[2:]
        outs = []
        for feat, embed in zip(feats, self.linear_embeds):
            n, _, h, w = feat.shape
            x = embed(feat.flatten(2).transpose(1, 2))  # (N, h*w, channels)
            x = x.transpose(1, 2).reshape(n, -1, h, w)
            if x.shape[2:] != size:
                x = resize(
                    x,
                    size=size,
                    mode='bilinear',
                    align_corners=self.align_corners)
            outs.append(x)
        fused = self.fusion_conv(torch.cat(outs, dim=1))
        return self.cls_seg(fused)
