"""Normalising, batching and padding multi-task samples."""
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS

from ..tasks import TaskSet, build_tasks


def stack_multitask_batch(
        inputs: List[torch.Tensor],
        data_samples: Optional[Sequence] = None,
        tasks: Optional[TaskSet] = None,
        size: Optional[Tuple[int, int]] = None,
        size_divisor: Optional[int] = None,
        pad_val: float = 0.) -> Tuple[torch.Tensor, List[dict]]:
    """Pad images (bottom/right) to one size and stack them.

    Every task's ``gt_<task>`` map in the samples is padded the same way
    with the task's own 'no label' value (``pad_value``).

    Args:
        inputs: ``(C, H_i, W_i)`` images.
        data_samples: Samples whose ground truth is padded in place.
        tasks: The tasks whose ground truth is padded (needed with
            ``data_samples``).
        size: Fixed ``(H, W)`` to pad to (images larger stay as they are).
        size_divisor: Otherwise pad the batch's largest size up to a multiple
            of this.
        pad_val: Image padding value.

    Returns:
        ``(N, C, H, W)`` batch and, per image, the padding meta information
        (``img_shape``, ``pad_shape``, ``padding_size`` as
        (left, right, top, bottom)).
    """
    if size is not None:
        target = (max(max(t.shape[-2] for t in inputs),
                      size[0]), max(max(t.shape[-1] for t in inputs), size[1]))
    else:
        target = (max(t.shape[-2]
                      for t in inputs), max(t.shape[-1] for t in inputs))
        if size_divisor and size_divisor > 1:
            target = tuple(-(-s // size_divisor) * size_divisor
                           for s in target)
    padded, pad_infos = [], []
    for i, img in enumerate(inputs):
        padding = (0, target[1] - img.shape[-1], 0, target[0] - img.shape[-2])
        padded.append(F.pad(img, padding, value=pad_val))
        pad_infos.append(
            dict(
                img_shape=tuple(img.shape[-2:]),
                pad_shape=tuple(target),
                padding_size=padding))
        if data_samples is None:
            continue
        sample = data_samples[i]
        for task in tasks.values():
            field = sample.get(task.gt_key)
            if field is None:
                continue
            data = field.data
            gt_pad = (0, target[1] - data.shape[-1], 0,
                      target[0] - data.shape[-2])
            if any(gt_pad):
                del field.data
                field.data = F.pad(data, gt_pad, value=task.pad_value)
    return torch.stack(padded, dim=0), pad_infos


@MODELS.register_module()
class MultiTaskDataPreprocessor(SegDataPreProcessor):
    """MMSeg's ``SegDataPreProcessor`` for multi-task samples.

    Normalises and batches images like MMSeg, and pads every task's ground
    truth with that task's own 'no label' value.

    Args:
        tasks: The tasks (name -> task config, or a
            :class:`~mmpoly.tasks.TaskSet`); the segmentor passes its own.
            Needed to batch training samples.
        **kwargs: ``SegDataPreProcessor`` arguments; ``seg_pad_val`` is not
            used (the value comes from each task).
    """

    def __init__(self,
                 tasks: Optional[Union[TaskSet, Mapping]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.tasks = None if tasks is None else build_tasks(tasks)

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        data = self.cast_data(data)
        inputs = data['inputs']
        data_samples = data.get('data_samples', None)
        if self.channel_conversion and inputs[0].size(0) == 3:
            inputs = [x[[2, 1, 0], ...] for x in inputs]
        inputs = [x.float() for x in inputs]
        if self._enable_normalize:
            inputs = [(x - self.mean) / self.std for x in inputs]

        if training:
            if data_samples is None:
                raise ValueError('training batches need data_samples')
            if self.size is None and self.size_divisor is None:
                raise ValueError(
                    'MultiTaskDataPreprocessor needs size or size_divisor '
                    'to batch training images')
            if self.tasks is None:
                raise ValueError('MultiTaskDataPreprocessor needs tasks to '
                                 'pad the ground truth of training batches')
            inputs, pad_infos = stack_multitask_batch(inputs, data_samples,
                                                      self.tasks, self.size,
                                                      self.size_divisor,
                                                      self.pad_val)
            if self.batch_augments is not None:
                inputs, data_samples = self.batch_augments(
                    inputs, data_samples)
        else:
            test_cfg = self.test_cfg or {}
            size, divisor = test_cfg.get('size'), test_cfg.get('size_divisor')
            same = all(x.shape == inputs[0].shape for x in inputs)
            if size is None and divisor is None and not same:
                raise ValueError(
                    'images of a test batch differ in size '
                    f'{[tuple(x.shape[-2:]) for x in inputs]}; set '
                    'data_preprocessor.test_cfg=dict(size_divisor=...)')
            inputs, pad_infos = stack_multitask_batch(inputs, None, None, size,
                                                      divisor, self.pad_val)
        if data_samples is not None:
            for sample, info in zip(data_samples, pad_infos):
                sample.set_metainfo(info)
        return dict(inputs=inputs, data_samples=data_samples)
