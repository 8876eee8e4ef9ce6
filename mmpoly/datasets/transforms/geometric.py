"""Geometric transforms that keep every task's map aligned with the image.

MMSegmentation's ``Resize``, ``RandomFlip`` and ``RandomCrop`` already move
every key listed in ``results['seg_fields']`` with the image. Class maps need
nothing more (``RandomCrop`` is used as is). Surface normals are vectors, not
labels, so:

- resizing interpolates them bilinearly and renormalises to unit length,
  keeping a pixel labelled only where the nearest source pixel was;
- flipping negates the component along the flip axis;
- padding fills every map with its task's 'no label' value.
"""
import mmcv
import numpy as np
from mmcv.transforms import Pad
from mmseg.datasets.transforms import RandomFlip, Resize
from mmseg.registry import TRANSFORMS

from ...structures import NORMALS, task_of_gt_key


def _is_normals(key: str) -> bool:
    spec = task_of_gt_key(key)
    return spec is not None and spec.kind == NORMALS


def resize_normals(normals: np.ndarray,
                   size_wh: tuple,
                   backend: str = 'cv2') -> np.ndarray:
    """Resize an ``(H, W, 3)`` normal map to ``size_wh`` keeping unit length.

    Labelled pixels of the output are those whose nearest input pixel is
    labelled; their vector is the bilinear average of the labelled input
    vectors around it, renormalised.
    """
    normals = np.ascontiguousarray(normals, dtype=np.float32)
    valid = (np.abs(normals).sum(axis=2) > 0).astype(np.uint8)
    out = mmcv.imresize(
        normals, size_wh, interpolation='bilinear', backend=backend)
    valid = mmcv.imresize(
        valid, size_wh, interpolation='nearest', backend=backend) > 0
    norm = np.linalg.norm(out, axis=2, keepdims=True)
    valid &= norm[..., 0] > 1e-6
    out = np.where(valid[..., None], out / np.maximum(norm, 1e-12), 0.0)
    return out.astype(np.float32)


@TRANSFORMS.register_module()
class MultiTaskResize(Resize):
    """MMSeg ``Resize`` that also resizes normal maps correctly.

    Class maps are resized with nearest interpolation (as in MMSeg), normal
    maps with :func:`resize_normals`. All maps get exactly the image's new
    size. Use as ``resize_type`` of ``RandomResize`` for random scaling.
    """

    def _resize_seg(self, results: dict) -> None:
        h, w = results['img'].shape[:2]
        for key in results.get('seg_fields', []):
            seg = results.get(key)
            if seg is None or seg.shape[:2] == (h, w):
                continue
            if _is_normals(key):
                results[key] = resize_normals(seg, (w, h), self.backend)
            else:
                results[key] = mmcv.imresize(
                    seg, (w, h), interpolation='nearest', backend=self.backend)


@TRANSFORMS.register_module()
class MultiTaskRandomFlip(RandomFlip):
    """MMSeg ``RandomFlip`` that negates normals along the flip axis.

    A horizontal flip negates x, a vertical flip negates y, a diagonal flip
    both.
    """

    _AXES = dict(horizontal=(0, ), vertical=(1, ), diagonal=(0, 1))

    def _flip(self, results: dict) -> None:
        super()._flip(results)
        axes = self._AXES[results['flip_direction']]
        for key in results.get('seg_fields', []):
            if _is_normals(key) and results.get(key) is not None:
                normals = results[key].copy()
                for axis in axes:
                    normals[..., axis] = -normals[..., axis]
                results[key] = normals


@TRANSFORMS.register_module()
class MultiTaskPad(Pad):
    """MMCV ``Pad`` that pads every task map with its 'no label' value.

    The image is padded with ``pad_val['img']`` (default 0); class maps with
    255 (ignore); normal maps with the zero vector. ``size`` is ``(w, h)``
    as in MMCV. Only constant padding is supported: reflected or repeated
    labels would be ground truth the data set does not have.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.padding_mode != 'constant':
            raise ValueError('MultiTaskPad supports padding_mode="constant" '
                             f'only, got {self.padding_mode!r}')

    def _pad_seg(self, results: dict) -> None:
        shape = results['pad_shape'][:2]
        for key in results.get('seg_fields', []):
            seg = results.get(key)
            if seg is None:
                continue
            spec = task_of_gt_key(key)
            if spec is not None:
                value = spec.pad_value
            else:
                value = self.pad_val.get('seg', 255)
            if seg.ndim == 3:
                value = tuple(value for _ in range(seg.shape[2]))
            results[key] = mmcv.impad(seg, shape=shape, pad_val=value)
