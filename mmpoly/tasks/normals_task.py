"""Surface normal estimation."""
from typing import Dict, Optional, Tuple

import cv2
import mmcv
import numpy as np
import torch
import torch.nn.functional as F

from ..functional.normals import normals_metrics, normals_stats
from ..registry import TASKS
from .base_task import FLIP_DIMS, BaseTask, Drawing
from .label_io import (DataFormatError, check_size, read_image, read_npy,
                       write_png)

#: The normal component negated by each flip direction.
FLIP_AXES = dict(horizontal=(0, ), vertical=(1, ), diagonal=(0, 1))


def resize_normals(normals: np.ndarray,
                   size_wh: Tuple[int, int],
                   backend: str = 'cv2') -> np.ndarray:
    """Resize an ``(H, W, 3)`` normal map to ``size_wh`` keeping unit length.

    Labelled pixels of the output are those whose nearest input pixel is
    labelled; their vector is the bilinear average of the input vectors
    around it (unlabelled ones are zero and add nothing), renormalised.
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


def encode_normals(normals: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` xyz normals as RGB ``uint8``: ``(n + 1) / 2 * 255``."""
    rgb = (np.asarray(normals, dtype=np.float32) + 1.0) * 0.5 * 255.0
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


@TASKS.register_module()
class NormalsTask(BaseTask):
    """Per-pixel unit surface normals (x right, y up, z towards the camera).

    - Ground truth: an RGB PNG decoded as ``n = 2 * png / 255 - 1`` (the
      ``normals_distill`` encoding) or an ``(H, W, 3)`` ``.npy`` of xyz
      vectors; vectors shorter than ``min_length`` (and black PNG pixels)
      become the zero vector, which means 'no label'; the others are
      renormalised. A single-channel PNG is an error, and so is a file
      where more than ``max_off_unit`` of the labelled vectors are further
      than ``unit_tolerance`` from unit length (8-bit encoding is off by
      less than 0.01). The pipeline carries ``float32 (H, W, 3)``.
    - Geometry: resized bilinearly and renormalised, labelled where the
      nearest source pixel was; a flip negates the component along its
      axis; padded with zero vectors.
    - Head: 3 channels; loss: L1 between the L2-normalised prediction and
      the ground truth over labelled pixels; prediction: the unit vector.
    - Metrics: angular error in degrees over every labelled pixel of the
      split: ``mean`` (primary, lower is better), ``median``, ``rmse`` and
      the % of pixels within ``11.25``, ``22.5`` and ``30`` degrees.
    - Written predictions: RGB PNGs in the ``normals_distill`` encoding.

    Args:
        name: Task name.
        min_length: Decoded vectors shorter than this are unlabelled.
        unit_tolerance: How far from 1 a labelled vector's decoded length
            may be.
        max_off_unit: Fraction of labelled vectors allowed beyond
            ``unit_tolerance`` (resized maps shorten vectors at edges).
        **kwargs: :class:`BaseTask` arguments.
    """

    pad_value = 0.0
    primary_metric = 'mean'
    higher_is_better = False

    def __init__(self,
                 name: str,
                 min_length: float = 0.5,
                 unit_tolerance: float = 0.1,
                 max_off_unit: float = 0.01,
                 **kwargs) -> None:
        super().__init__(name, **kwargs)
        self.min_length = float(min_length)
        self.unit_tolerance = float(unit_tolerance)
        self.max_off_unit = float(max_off_unit)

    @property
    def out_channels(self) -> int:
        return 3

    # --------------------------------------------------------------- data
    def read_gt(
            self,
            path: str,
            backend_args: Optional[dict] = None,
            labelled: Optional[np.ndarray] = None,
            labelled_from: str = 'its map of labelled pixels') -> np.ndarray:
        """Decode, check and renormalise a normals file.

        Args:
            path: ``.png`` (RGB-encoded) or ``.npy`` (xyz) file.
            backend_args: MMEngine file backend arguments.
            labelled: Optional ``(H, W)`` bool mask of the pixels the data
                set labels (e.g. PASCAL's normals-valid classes); others
                become the zero vector.
            labelled_from: What ``labelled`` comes from, for the message
                when its size differs.

        Raises:
            DataFormatError: naming ``path``: not 3 channels, NaN, or more
                than ``max_off_unit`` of the labelled vectors further than
                ``unit_tolerance`` from unit length (e.g. a grey-scale
                image saved as RGB).
        """
        normals = self._decode(path, backend_args)
        length = np.linalg.norm(normals, axis=2)
        valid = length > self.min_length
        if labelled is not None:
            check_size(normals, labelled.shape, path, labelled_from)
            valid &= labelled
        self._check_unit_length(length[valid], path)
        return np.where(valid[..., None],
                        normals / np.maximum(length[..., None], 1e-12),
                        0.0).astype(np.float32)

    def _decode(self, path: str, backend_args: Optional[dict]) -> np.ndarray:
        if path.endswith('.npy'):
            normals = read_npy(path, backend_args).astype(np.float32)
        else:
            png = read_image(path, 'unchanged', backend_args)
            if png.ndim != 3 or png.shape[2] < 3:
                raise DataFormatError(
                    f'{path}: task {self.name!r} expects RGB-encoded '
                    f'normals, got a single-channel image {png.shape}')
            png = png[..., :3]
            normals = 2.0 * png.astype(np.float32) / 255.0 - 1.0
            # no unit normal encodes to black: it marks 'no label'
            normals[(png == 0).all(axis=2)] = 0.0
        if normals.ndim != 3 or normals.shape[2] != 3:
            raise DataFormatError(f'{path}: task {self.name!r} expects '
                                  f'(H, W, 3) normals, got {normals.shape}')
        if not np.all(np.isfinite(normals)):
            raise DataFormatError(f'{path}: task {self.name!r}: normals hold '
                                  'NaN or infinite values')
        return normals

    def _check_unit_length(self, lengths: np.ndarray, path: str) -> None:
        if lengths.size == 0:
            return
        off = np.abs(lengths - 1.0) > self.unit_tolerance
        if off.mean() > self.max_off_unit:
            worst = lengths[np.argmax(np.abs(lengths - 1.0))]
            raise DataFormatError(
                f'{path}: task {self.name!r}: {off.mean():.1%} of the '
                f'labelled normals are not unit vectors (length off by more '
                f'than {self.unit_tolerance}, e.g. {worst:.3f}); expected '
                'RGB-encoded unit normals n = 2 * png / 255 - 1 (is it a '
                'grey-scale or other image?)')

    def check_gt(self, gt: np.ndarray, path: str,
                 image_shape: Tuple[int, int]) -> None:
        super().check_gt(gt, path, image_shape)
        if gt.ndim != 3 or gt.shape[2] != 3:
            raise DataFormatError(f'{path}: task {self.name!r} expects '
                                  f'(H, W, 3) normals, got {gt.shape}')

    def resize_gt(self,
                  gt: np.ndarray,
                  size_wh: Tuple[int, int],
                  backend: str = 'cv2') -> np.ndarray:
        return resize_normals(gt, size_wh, backend)

    def flip_gt(self, gt: np.ndarray, direction: str) -> np.ndarray:
        gt = mmcv.imflip(gt, direction=direction).copy()
        for axis in FLIP_AXES[direction]:
            gt[..., axis] = -gt[..., axis]
        return gt

    def warp_gt(self, gt: np.ndarray, matrix: np.ndarray,
                size_wh: Tuple[int, int]) -> np.ndarray:
        """Warp like the image and rotate the vectors' in-plane components
        with it (x right, y up: an image rotated by ``a`` counter-clockwise
        rotates them by ``a``); labelled where the nearest source pixel
        was, renormalised; zero vectors outside the map."""
        gt = np.ascontiguousarray(gt, dtype=np.float32)
        valid = (np.abs(gt).sum(axis=2) > 0).astype(np.uint8)
        out = cv2.warpAffine(
            gt,
            matrix,
            tuple(size_wh),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0.0)
        valid = cv2.warpAffine(
            valid,
            matrix,
            tuple(size_wh),
            flags=cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0) > 0
        angle = np.arctan2(matrix[0, 1], matrix[0, 0])
        cos, sin = np.cos(angle), np.sin(angle)
        x, y = out[..., 0].copy(), out[..., 1].copy()
        out[..., 0] = cos * x - sin * y
        out[..., 1] = sin * x + cos * y
        norm = np.linalg.norm(out, axis=2, keepdims=True)
        valid &= norm[..., 0] > 1e-6
        out = np.where(valid[..., None], out / np.maximum(norm, 1e-12), 0.0)
        return out.astype(np.float32)

    def gt_to_tensor(self, gt: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(
            np.ascontiguousarray(gt.transpose(2, 0, 1), dtype=np.float32))

    def fake_gt(self, height: int, width: int,
                generator: torch.Generator) -> torch.Tensor:
        return F.normalize(
            torch.randn(3, height, width, generator=generator), dim=0)

    # -------------------------------------------------------------- model
    def default_loss(self) -> dict:
        return dict(type='NormalsL1Loss')

    def activate(self, logits: torch.Tensor) -> torch.Tensor:
        return F.normalize(logits, p=2, dim=0)

    def flip_logits(self, logits: torch.Tensor,
                    direction: str) -> torch.Tensor:
        logits = logits.flip(dims=FLIP_DIMS[direction]).clone()
        for axis in FLIP_AXES[direction]:
            logits[axis] = -logits[axis]
        return logits

    # --------------------------------------------------------- evaluation
    def stats(self, pred: torch.Tensor,
              gt: torch.Tensor) -> Dict[str, np.ndarray]:
        return normals_stats(pred, gt)

    def metrics(self,
                stats: Dict[str, np.ndarray],
                dataset_meta: Optional[dict] = None) -> Dict[str, float]:
        return normals_metrics(stats)

    def write_prediction(self, pred: np.ndarray, path_stem: str) -> str:
        return write_png(
            encode_normals(pred.transpose(1, 2, 0)), path_stem + '.png')

    def visualize(self,
                  data: torch.Tensor,
                  image: np.ndarray,
                  dataset_meta: Optional[dict] = None) -> Drawing:
        """The RGB encoding ``(n + 1) / 2`` of the normals; unlabelled
        pixels black."""
        n = data.cpu().numpy().transpose(1, 2, 0).astype(np.float32)
        tile = encode_normals(n)
        tile[np.abs(n).sum(axis=2) == 0] = 0
        legend = [('x right', (255, 128, 128)), ('y up', (128, 255, 128)),
                  ('z out', (128, 128, 255))]
        return tile, legend
