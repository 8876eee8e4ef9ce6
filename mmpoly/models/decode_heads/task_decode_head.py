"""Base class of a decode head that serves one task of a multi-task model."""
import warnings
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize

from ...tasks import BaseTask, build_task
from ..float32_island import float32_function


class TaskDecodeHead(BaseDecodeHead):
    """An MMSeg decode head bound to one task.

    The task (:class:`~mmpoly.tasks.BaseTask`) fixes the output channels,
    the ground-truth field (``gt_<task>``), the default loss, the loss
    target, extra training logs and how logits become a prediction
    (:meth:`activate`). Subclasses implement :meth:`forward` only, as in
    MMSeg (``loss`` = ``forward`` + :meth:`loss_by_feat`, ``predict`` =
    ``forward`` + ``predict_by_feat``).

    Args:
        task: The task, or its config with ``name`` (built through the
            ``TASKS`` registry). :class:`~mmpoly.models.MultiTaskSegmentor`
            passes the task object.
        in_channels: Channels of the input features.
        channels: Channels before the classifier.
        loss_decode: Loss config(s); defaults to the task's
            :meth:`~mmpoly.tasks.BaseTask.default_loss`.
        **kwargs: Other :class:`BaseDecodeHead` arguments; ``num_classes``
            / ``out_channels``, if given, must equal the task's channels.
    """

    def __init__(self,
                 task: Union[BaseTask, dict],
                 in_channels: Union[int, Sequence[int]],
                 channels: int,
                 loss_decode: Optional[Union[dict, List[dict]]] = None,
                 **kwargs) -> None:
        if isinstance(task, dict):
            task = dict(task)
            task = build_task(task.pop('name', None), task)
        if not isinstance(task, BaseTask):
            raise TypeError(f'head task must be a BaseTask or its config, '
                            f'got {task!r}')
        out = task.out_channels
        for key in ('num_classes', 'out_channels'):
            if kwargs.get(key, out) != out:
                raise ValueError(f'the head of task {task.name!r} has {key}='
                                 f'{kwargs[key]}, but {type(task).__name__} '
                                 f'{task.name!r} predicts {out} channel(s)')
        kwargs.update(num_classes=out, out_channels=out)
        kwargs.setdefault('ignore_index', task.ignore_index)
        if out == 1:  # MMSeg's binary threshold; the task activates itself
            kwargs.setdefault('threshold', 0.5)
        if loss_decode is None:
            loss_decode = task.default_loss()
        with warnings.catch_warnings():  # MMSeg's own deprecated builder
            warnings.filterwarnings('ignore', message='``build_loss``')
            super().__init__(
                in_channels, channels, loss_decode=loss_decode, **kwargs)
        self.task = task

    def _stack_batch_gt(self, batch_data_samples) -> torch.Tensor:
        key = self.task.gt_key
        try:
            return torch.stack([s.get(key).data for s in batch_data_samples])
        except AttributeError:
            raise KeyError(f'a data sample has no {key!r} for the '
                           f'{self.task.name!r} head') from None

    @float32_function
    def loss_by_feat(self, seg_logits: torch.Tensor,
                     batch_data_samples) -> Dict[str, torch.Tensor]:
        """Losses of the task from logits and the samples' ground truth.

        Runs in float32 under mixed precision (the logits are cast; see
        :mod:`mmpoly.engine.optim.multitask_amp_optim_wrapper`).

        Args:
            seg_logits: ``(N, C, h, w)`` head output.
            batch_data_samples: Samples with ``gt_<task>`` of ``(·, H, W)``.

        Returns:
            Loss dict (plus the task's training logs, e.g. ``acc_seg``).
        """
        gt = self._stack_batch_gt(batch_data_samples)
        seg_logits = resize(
            seg_logits,
            size=gt.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)
        target = self.task.loss_target(gt)
        losses_decode = self.loss_decode if isinstance(
            self.loss_decode, nn.ModuleList) else [self.loss_decode]
        losses = {}
        for loss_decode in losses_decode:
            value = loss_decode(
                seg_logits, target, ignore_index=self.ignore_index)
            name = loss_decode.loss_name
            losses[name] = losses[name] + value if name in losses else value
        losses.update(self.task.train_log_vars(seg_logits, target))
        return losses

    def activate(self, logits: torch.Tensor) -> torch.Tensor:
        """The task's prediction from ``(C, H, W)`` logits."""
        return self.task.activate(logits)
