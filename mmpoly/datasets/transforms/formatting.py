"""Packing a multi-task sample into model inputs and a data sample."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData
from mmseg.registry import TRANSFORMS

from ...structures import MultiTaskDataSample
from .task_results import task_set_of


@TRANSFORMS.register_module()
class PackMultiTaskInputs(BaseTransform):
    """Pack the image and every task's ground truth for the model.

    Output: ``inputs`` (``uint8 (3, H, W)`` tensor) and ``data_samples``, a
    :class:`~mmpoly.structures.MultiTaskDataSample` whose ``gt_<task>``
    fields hold ``(C, H, W)`` tensors made by each task
    (:meth:`~mmpoly.tasks.BaseTask.gt_to_tensor`).

    Args:
        meta_keys: Keys copied into the sample's meta information.
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = ('img_path', 'img_id', 'ori_shape',
                                    'img_shape', 'pad_shape', 'scale_factor',
                                    'flip', 'flip_direction', 'tasks')
    ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        packed = {}
        img = results['img']
        if img.ndim < 3:
            img = img[..., None]
        packed['inputs'] = torch.from_numpy(
            np.ascontiguousarray(img.transpose(2, 0, 1)))

        sample = MultiTaskDataSample()
        for task in task_set_of(results, type(self).__name__).values():
            gt = results.get(task.gt_key)
            if gt is not None:
                sample.set_field(
                    PixelData(data=task.gt_to_tensor(gt)), task.gt_key)
        sample.set_metainfo(
            {k: results[k]
             for k in self.meta_keys if k in results})
        packed['data_samples'] = sample
        return packed

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
