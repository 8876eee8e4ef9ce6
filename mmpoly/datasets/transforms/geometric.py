"""Geometric transforms that keep every task's map aligned with the image.

MMSegmentation's ``Resize``, ``RandomFlip`` and ``RandomCrop`` move every
key of ``results['seg_fields']`` with the image. Cropping is the same for
every map (``RandomCrop`` is used as it is); resizing, flipping and padding
are asked of each task (``results['task_set']``): class maps are resized
with nearest interpolation, normals bilinearly and renormalised, a flip
negates the normals' component along its axis, and every map is padded with
its task's 'no label' value.
"""
import mmcv
from mmcv.transforms import Pad
from mmseg.datasets.transforms import RandomFlip, Resize
from mmseg.registry import TRANSFORMS

from .task_results import task_set_of


def _task_fields(results: dict, transform: str):
    """(task, key) of every task map present in ``results``."""
    for task in task_set_of(results, transform).values():
        if results.get(task.gt_key) is not None:
            yield task, task.gt_key


@TRANSFORMS.register_module()
class MultiTaskResize(Resize):
    """MMSeg ``Resize`` that resizes each task's map as its task says.

    All maps get exactly the image's new size. Use as ``resize_type`` of
    ``RandomResize`` for random scaling.
    """

    def _resize_seg(self, results: dict) -> None:
        h, w = results['img'].shape[:2]
        for task, key in _task_fields(results, type(self).__name__):
            if results[key].shape[:2] != (h, w):
                results[key] = task.resize_gt(results[key], (w, h),
                                              self.backend)


@TRANSFORMS.register_module()
class MultiTaskRandomFlip(RandomFlip):
    """MMSeg ``RandomFlip`` that flips each task's map as its task says
    (normals negate the component along the flip axis)."""

    def _flip(self, results: dict) -> None:
        tasks = list(_task_fields(results, type(self).__name__))
        fields = results.get('seg_fields', [])
        own = {key for _, key in tasks}
        results['seg_fields'] = [k for k in fields if k not in own]
        try:
            super()._flip(results)  # the image and any other map
        finally:
            results['seg_fields'] = fields
        for task, key in tasks:
            results[key] = task.flip_gt(results[key],
                                        results['flip_direction'])


@TRANSFORMS.register_module()
class MultiTaskPad(Pad):
    """MMCV ``Pad`` that pads every task map with its task's 'no label'
    value (``pad_value``).

    The image is padded with ``pad_val['img']`` (default 0); other maps of
    ``seg_fields`` with ``pad_val['seg']`` (default 255). ``size`` is
    ``(w, h)`` as in MMCV. Only constant padding is supported: reflected or
    repeated labels would be ground truth the data set does not have.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.padding_mode != 'constant':
            raise ValueError('MultiTaskPad supports padding_mode="constant" '
                             f'only, got {self.padding_mode!r}')

    def _pad_seg(self, results: dict) -> None:
        shape = results['pad_shape'][:2]
        values = {
            key: task.pad_value
            for task, key in _task_fields(results,
                                          type(self).__name__)
        }
        for key in results.get('seg_fields', []):
            seg = results.get(key)
            if seg is None:
                continue
            value = values.get(key, self.pad_val.get('seg', 255))
            if seg.ndim == 3:
                value = tuple(value for _ in range(seg.shape[2]))
            results[key] = mmcv.impad(seg, shape=shape, pad_val=value)
