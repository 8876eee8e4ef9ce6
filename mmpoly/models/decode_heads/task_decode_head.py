"""Base class of a decode head that serves one task of a multi-task model."""
import warnings
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize

from ...structures import (BINARY, IGNORE_INDEX, NORMALS, SEGMENTATION,
                           get_task_spec)

#: Loss used when a head's config does not give ``loss_decode``.
DEFAULT_LOSSES = {
    SEGMENTATION:
    dict(type='CrossEntropyLoss', avg_non_ignore=True, loss_name='loss_ce'),
    BINARY:
    dict(type='BalancedBinaryCrossEntropyLoss'),
    NORMALS:
    dict(type='NormalsL1Loss'),
}


class TaskDecodeHead(BaseDecodeHead):
    """An MMSeg decode head bound to one task.

    The task fixes the output channels, the ground-truth field
    (``gt_<task>``), the default loss and how logits become predictions:

    - segmentation: cross-entropy (ignore 255); prediction = argmax;
    - binary: balanced binary cross-entropy; prediction = sigmoid
      probability;
    - normals: L1 on normalised vectors; prediction = L2-normalised vector.

    Subclasses implement :meth:`forward` only, as in MMSeg
    (``loss`` = ``forward`` + :meth:`loss_by_feat`, ``predict`` = ``forward``
    + :meth:`predict_by_feat`).

    Args:
        task: Task name (see :mod:`mmpoly.structures.task_spec`).
        in_channels: Channels of the input features.
        channels: Channels before the classifier.
        loss_decode: Loss config(s); defaults to the task kind's loss.
        **kwargs: Other :class:`BaseDecodeHead` arguments.
    """

    def __init__(self,
                 task: str,
                 in_channels: Union[int, Sequence[int]],
                 channels: int,
                 loss_decode: Optional[Union[dict, List[dict]]] = None,
                 **kwargs) -> None:
        self.task_spec = get_task_spec(task)
        if 'num_classes' in kwargs and \
                kwargs['num_classes'] != self.task_spec.out_channels:
            raise ValueError(
                f'head of task {task!r}: num_classes={kwargs["num_classes"]} '
                f'but the task has {self.task_spec.out_channels} outputs')
        kwargs['num_classes'] = self.task_spec.out_channels
        kwargs.setdefault('ignore_index', IGNORE_INDEX)
        if self.task_spec.kind == BINARY:
            kwargs.setdefault('threshold', 0.5)
        if loss_decode is None:
            loss_decode = dict(DEFAULT_LOSSES[self.task_spec.kind])
        with warnings.catch_warnings():  # MMSeg's own deprecated builder
            warnings.filterwarnings('ignore', message='``build_loss``')
            super().__init__(
                in_channels, channels, loss_decode=loss_decode, **kwargs)

    @property
    def task(self) -> str:
        return self.task_spec.name

    def _stack_batch_gt(self, batch_data_samples) -> torch.Tensor:
        key = self.task_spec.gt_key
        try:
            return torch.stack([s.get(key).data for s in batch_data_samples])
        except AttributeError:
            raise KeyError(f'a data sample has no {key!r} for the '
                           f'{self.task!r} head') from None

    def loss_by_feat(self, seg_logits: torch.Tensor,
                     batch_data_samples) -> Dict[str, torch.Tensor]:
        """Losses of the task from logits and the samples' ground truth.

        Args:
            seg_logits: ``(N, C, h, w)`` head output.
            batch_data_samples: Samples with ``gt_<task>`` of ``(·, H, W)``.

        Returns:
            Loss dict (plus ``acc_seg`` for segmentation tasks).
        """
        gt = self._stack_batch_gt(batch_data_samples)
        seg_logits = resize(
            seg_logits,
            size=gt.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)
        target = gt if self.task_spec.kind == NORMALS else gt.squeeze(1)
        losses_decode = self.loss_decode if isinstance(
            self.loss_decode, nn.ModuleList) else [self.loss_decode]
        losses = {}
        for loss_decode in losses_decode:
            value = loss_decode(
                seg_logits, target, ignore_index=self.ignore_index)
            name = loss_decode.loss_name
            losses[name] = losses[name] + value if name in losses else value
        if self.task_spec.kind == SEGMENTATION:
            valid = target != self.ignore_index
            if valid.any():
                correct = (seg_logits.argmax(1) == target) & valid
                losses['acc_seg'] = correct.sum().float().mul(100.0 /
                                                              valid.sum())
        return losses

    def activate(self, logits: torch.Tensor) -> torch.Tensor:
        """Turn ``(C, H, W)`` logits into the task's prediction.

        Returns:
            ``(1, H, W)`` int64 classes, ``(1, H, W)`` probabilities or
            ``(3, H, W)`` unit normals.
        """
        kind = self.task_spec.kind
        if kind == SEGMENTATION:
            return logits.argmax(dim=0, keepdim=True)
        if kind == BINARY:
            return logits.sigmoid()
        return F.normalize(logits, p=2, dim=0)
