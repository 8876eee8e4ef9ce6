"""Monocular depth estimation."""
import os
import os.path as osp
from typing import Dict, Optional, Tuple

import mmcv
import numpy as np
import torch

from ..functional.depth import depth_metrics, depth_stats
from ..registry import TASKS
from .base_task import BaseTask, Drawing
from .drawing import apply_colormap, colormap_legend
from .label_io import DataFormatError, read_image, read_npy


@TASKS.register_module()
class DepthTask(BaseTask):
    """Per-pixel depth in metres; pixels with depth 0 are invalid.

    - Ground truth: a float ``.npy`` of ``(H, W)`` metres, or a 16-bit PNG
      divided by ``png_scale`` (1000: millimetres). Valid where ``> 0``.
      An integer ``.npy`` (e.g. ``uint16`` millimetres), NaN, infinite or
      negative values, depth beyond ``max_depth``, another size than the
      image, or more than one channel are errors naming the file. The
      pipeline carries ``float32 (H, W)``.
    - Geometry: ``resize='nearest'`` keeps measured values; ``'bilinear'``
      averages only valid neighbours (invalid pixels never leak into the
      result) and is valid where the nearest source pixel was; padding is
      invalid (0).
    - Head: one channel; loss: L1 over valid pixels; prediction: the raw
      output clamped to at least ``min_depth``.
    - Metrics, pixel-wise over all valid pixels of the split: ``rmse``
      (primary, lower is better), ``abs_rel``, ``log_rmse`` and ``delta1``
      / ``delta2`` / ``delta3`` (% with max(p/g, g/p) < 1.25, 1.25², 1.25³).
    - Written predictions: ``.npy`` of float32 metres.

    Args:
        name: Task name.
        resize: ``'nearest'`` or ``'bilinear'``.
        png_scale: Divisor of 16-bit PNG values (to metres).
        min_depth: Smallest predicted depth (metres).
        max_depth: Largest plausible ground-truth depth (metres); a file
            holding more is refused, naming it (the default, 20 m, is above
            any indoor scene, NYUD-v2's reach 10 m, and far below depth
            stored in millimetres). None: no limit (outdoor data sets:
            set it, e.g. 80 for KITTI).
        **kwargs: :class:`BaseTask` arguments.
    """

    pad_value = 0.0
    primary_metric = 'rmse'
    higher_is_better = False
    default_suffix = '.npy'

    def __init__(self,
                 name: str,
                 resize: str = 'bilinear',
                 png_scale: float = 1000.0,
                 min_depth: float = 1e-3,
                 max_depth: Optional[float] = 20.0,
                 **kwargs) -> None:
        super().__init__(name, **kwargs)
        if resize not in ('nearest', 'bilinear'):
            raise ValueError(f'tasks.{name}.resize must be "nearest" or '
                             f'"bilinear", got {resize!r}')
        self.resize = resize
        self.png_scale = float(png_scale)
        self.min_depth = float(min_depth)
        number = isinstance(max_depth,
                            (int, float)) and not isinstance(max_depth, bool)
        if max_depth is not None and not (number and max_depth > 0):
            raise ValueError(f'tasks.{name}.max_depth must be a positive '
                             f'number of metres or None, got {max_depth!r}')
        self.max_depth = None if max_depth is None else float(max_depth)

    @property
    def out_channels(self) -> int:
        return 1

    # --------------------------------------------------------------- data
    def read_gt(self,
                path: str,
                backend_args: Optional[dict] = None) -> np.ndarray:
        if path.endswith('.npy'):
            depth = read_npy(path, backend_args)
            if not np.issubdtype(depth.dtype, np.floating):
                top = f', max {depth.max()}' if depth.size else ''
                raise DataFormatError(
                    f'{path}: task {self.name!r} expects depth in metres as '
                    f'floats, got {depth.dtype} values{top} (millimetres? '
                    'store metres as float32: depth / 1000)')
        else:
            png = read_image(path, 'unchanged', backend_args)
            if png.dtype != np.uint16:
                raise DataFormatError(
                    f'{path}: task {self.name!r} expects a 16-bit depth '
                    f'PNG, got {png.dtype}')
            depth = png / self.png_scale
        if depth.ndim == 3 and depth.shape[2] == 1:
            depth = depth[..., 0]
        if depth.ndim != 2:
            raise DataFormatError(f'{path}: task {self.name!r} expects an '
                                  f'(H, W) depth map, got {depth.shape}')
        if not (np.issubdtype(depth.dtype, np.floating)
                or np.issubdtype(depth.dtype, np.integer)):
            raise DataFormatError(f'{path}: task {self.name!r} expects '
                                  f'numbers, got dtype {depth.dtype}')
        return depth.astype(np.float32)

    def check_gt(self, gt: np.ndarray, path: str,
                 image_shape: Tuple[int, int]) -> None:
        super().check_gt(gt, path, image_shape)
        if not np.all(np.isfinite(gt)):
            raise DataFormatError(
                f'{path}: task {self.name!r}: depth holds '
                f'{int((~np.isfinite(gt)).sum())} NaN or infinite values '
                '(mark invalid pixels with 0)')
        if (gt < 0).any():
            raise DataFormatError(f'{path}: task {self.name!r}: negative '
                                  f'depth {float(gt.min())}')
        if self.max_depth is not None and gt.size and \
                gt.max() > self.max_depth:
            raise DataFormatError(
                f'{path}: task {self.name!r}: depth up to '
                f'{float(gt.max()):g}, beyond max_depth={self.max_depth:g} '
                'm; expected metres (millimetres? divide by 1000; a farther '
                f'range: set tasks.{self.name}.max_depth)')

    def resize_gt(self,
                  gt: np.ndarray,
                  size_wh: Tuple[int, int],
                  backend: str = 'cv2') -> np.ndarray:
        valid = (gt > 0).astype(np.uint8)
        near = mmcv.imresize(
            valid, size_wh, interpolation='nearest', backend=backend) > 0
        if self.resize == 'nearest':
            out = mmcv.imresize(
                gt, size_wh, interpolation='nearest', backend=backend)
            return np.where(near, out, 0.0).astype(np.float32)
        total = mmcv.imresize(
            np.where(valid, gt, 0.0).astype(np.float32),
            size_wh,
            interpolation='bilinear',
            backend=backend)
        weight = mmcv.imresize(
            valid.astype(np.float32),
            size_wh,
            interpolation='bilinear',
            backend=backend)
        ok = near & (weight > 1e-6)
        return np.where(ok, total / np.maximum(weight, 1e-6),
                        0.0).astype(np.float32)

    def gt_to_tensor(self, gt: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(
            np.ascontiguousarray(gt[None], dtype=np.float32))

    def fake_gt(self, height: int, width: int,
                generator: torch.Generator) -> torch.Tensor:
        return 0.5 + 9.5 * torch.rand(1, height, width, generator=generator)

    # -------------------------------------------------------------- model
    def default_loss(self) -> dict:
        return dict(type='DepthL1Loss')

    def activate(self, logits: torch.Tensor) -> torch.Tensor:
        return logits.clamp(min=self.min_depth)

    # --------------------------------------------------------- evaluation
    def stats(self, pred: torch.Tensor,
              gt: torch.Tensor) -> Dict[str, np.ndarray]:
        return depth_stats(pred[0], gt[0], self.min_depth)

    def metrics(self,
                stats: Dict[str, np.ndarray],
                dataset_meta: Optional[dict] = None) -> Dict[str, float]:
        return depth_metrics(stats)

    def visualize(self,
                  data: torch.Tensor,
                  image: np.ndarray,
                  dataset_meta: Optional[dict] = None) -> Drawing:
        """A colour map of the depth (near blue, far red) with its scale in
        the legend; invalid pixels black."""
        depth = data[0].cpu().numpy().astype(np.float32)
        valid = depth > 0
        if not valid.any():
            return np.zeros(image.shape, np.uint8), [('no depth', (0, 0, 0))]
        low, high = float(depth[valid].min()), float(depth[valid].max())
        scaled = (depth - low) / max(high - low, 1e-6)
        tile = apply_colormap(scaled)
        tile[~valid] = 0
        legend = colormap_legend(low, high, ' m')
        if not valid.all():
            legend.append(('no depth', (0, 0, 0)))
        return tile, legend

    def write_prediction(self, pred: np.ndarray, path_stem: str) -> str:
        path = path_stem + '.npy'
        os.makedirs(osp.dirname(path) or '.', exist_ok=True)
        np.save(path, pred[0].astype(np.float32))
        return path
