"""Random scaling and rotation of the image and every task's map together
(the MTLoRA protocol's ``ScaleNRotate``)."""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from .task_results import task_set_of

_INTERPOLATION = dict(
    nearest=cv2.INTER_NEAREST,
    bilinear=cv2.INTER_LINEAR,
    bicubic=cv2.INTER_CUBIC)


@TRANSFORMS.register_module()
class MultiTaskRandomScaleRotate(BaseTransform):
    """Scale by ``s ~ U(scale_range)`` and rotate by ``a ~ U(-max_angle,
    max_angle)`` degrees about the image centre, keeping the image size.

    The image is warped with ``interpolation`` and ``img_border`` outside
    it; each task warps its own map (:meth:`~mmpoly.tasks.BaseTask.warp_gt`:
    class maps nearest with their 'no label' value outside, normals with
    their in-plane components rotated too). The reference implementation
    fills every map's border with 0; here labels outside the image are 'no
    label' instead of background.

    Required keys: ``img`` and the tasks' ground-truth keys. Modified keys:
    the same. Added key: ``scale_rotate`` ``(scale, angle)``.

    Args:
        scale_range: ``(low, high)`` of the uniform scale.
        max_angle: Largest rotation in degrees (either direction).
        prob: Probability of applying the transform.
        interpolation: Image interpolation (``'bicubic'`` in the
            reference).
        img_border: Image value outside the source image.
    """

    def __init__(self,
                 scale_range: Sequence[float] = (0.75, 1.25),
                 max_angle: float = 20.0,
                 prob: float = 1.0,
                 interpolation: str = 'bicubic',
                 img_border: float = 0.0) -> None:
        super().__init__()
        if len(scale_range) != 2 or not 0 < scale_range[0] <= scale_range[1]:
            raise ValueError('scale_range must be (low, high) with 0 < low '
                             f'<= high, got {tuple(scale_range)}')
        if max_angle < 0 or not 0 <= prob <= 1:
            raise ValueError('max_angle must be >= 0 and prob in [0, 1], '
                             f'got {max_angle} and {prob}')
        if interpolation not in _INTERPOLATION:
            raise ValueError(f'interpolation must be one of '
                             f'{sorted(_INTERPOLATION)}, got '
                             f'{interpolation!r}')
        self.scale_range = (float(scale_range[0]), float(scale_range[1]))
        self.max_angle = float(max_angle)
        self.prob = float(prob)
        self.interpolation = interpolation
        self.img_border = img_border

    def _draw(self) -> Optional[Tuple[float, float]]:
        if np.random.rand() >= self.prob:
            return None
        return (float(np.random.uniform(*self.scale_range)),
                float(np.random.uniform(-self.max_angle, self.max_angle)))

    def transform(self, results: dict) -> dict:
        drawn = self._draw()
        if drawn is None:
            return results
        scale, angle = drawn
        h, w = results['img'].shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
        img = results['img']
        out = cv2.warpAffine(
            img,
            matrix, (w, h),
            flags=_INTERPOLATION[self.interpolation],
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=self.img_border)
        results['img'] = out.reshape(out.shape[:2] + img.shape[2:])
        for task in task_set_of(results, type(self).__name__).values():
            if results.get(task.gt_key) is not None:
                results[task.gt_key] = task.warp_gt(results[task.gt_key],
                                                    matrix, (w, h))
        results['scale_rotate'] = (scale, angle)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale_range={self.scale_range}, '
                f'max_angle={self.max_angle}, prob={self.prob}, '
                f'interpolation={self.interpolation!r})')
