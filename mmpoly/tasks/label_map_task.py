"""Tasks whose ground truth is an integer label map (classes, binary)."""
from abc import abstractmethod
from typing import Optional, Tuple

import numpy as np
import torch

from .base_task import BaseTask
from .label_io import DataFormatError, read_image, read_npy


class LabelMapTask(BaseTask):
    """A task whose ground truth is one integer label per pixel.

    Labels are ``0 .. num_labels - 1``; ``ignore_index`` marks pixels
    without a label (they are padded with it and ignored by the losses and
    metrics). Maps are resized with nearest interpolation and flipped like
    the image. The pipeline carries ``uint8 (H, W)`` maps (``int32`` when
    the labels or ``ignore_index`` do not fit in 8 bits); packed samples
    ``int64 (1, H, W)``.

    Args:
        name: Task name.
        ignore_index: Label value of unlabelled pixels.
        **kwargs: :class:`BaseTask` arguments.
    """

    def __init__(self, name: str, ignore_index: int = 255, **kwargs) -> None:
        super().__init__(name, **kwargs)
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
            raise ValueError(f'tasks.{name}.ignore_index must be an integer, '
                             f'got {ignore_index!r}')
        self._ignore_index = ignore_index

    @property
    @abstractmethod
    def num_labels(self) -> int:
        """Number of valid label values."""

    @property
    def ignore_index(self) -> int:
        return self._ignore_index

    @property
    def class_values(self) -> range:
        return range(self.num_labels)

    @property
    def pad_value(self) -> float:  # type: ignore[override]
        return self._ignore_index

    @property
    def gt_dtype(self) -> np.dtype:
        """dtype of the pipeline's label maps."""
        fits = self.num_labels <= 256 and 0 <= self._ignore_index <= 255
        return np.dtype(np.uint8 if fits else np.int32)

    # --------------------------------------------------------------- data
    def as_label_map(self, arr: np.ndarray, path: str) -> np.ndarray:
        """Check that a decoded array is a single-channel integer map and
        return it in :attr:`gt_dtype`.

        Labels are checked at the file's own bit depth before the cast: a
        value that :attr:`gt_dtype` cannot hold (e.g. class 300 of a 16-bit
        PNG, which ``uint8`` would turn into 44) is an error naming the file
        and the largest value found, never a silently wrapped class.
        """
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[..., 0]
        if arr.ndim != 2:
            raise DataFormatError(
                f'{path}: expected a single-channel label map for task '
                f'{self.name!r}, got an array of shape {arr.shape}')
        if arr.dtype == bool:
            arr = arr.astype(np.uint8)
        if not np.issubdtype(arr.dtype, np.integer):
            if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
                raise DataFormatError(
                    f'{path}: task {self.name!r} expects integer labels, got '
                    f'non-integer {arr.dtype} values')
        if arr.size:
            limits = np.iinfo(self.gt_dtype)
            low, high = arr.min(), arr.max()
            if low < limits.min or high > limits.max:
                self._raise_out_of_range(arr, path)
        return arr.astype(self.gt_dtype, copy=False)

    def check_gt(self, gt: np.ndarray, path: str,
                 image_shape: Tuple[int, int]) -> None:
        super().check_gt(gt, path, image_shape)
        self._raise_out_of_range(gt, path)

    def _raise_out_of_range(self, labels: np.ndarray, path: str) -> None:
        """Raise, naming ``path``, the bad values and the largest one, if
        ``labels`` holds values that are neither classes nor
        :attr:`ignore_index`."""
        bad = ((labels < 0) | (labels >= self.num_labels)) & (
            labels != self.ignore_index)
        if not bad.any():
            return
        values = np.unique(labels[bad])
        listed = [int(v) for v in values[:10]]
        more = f' (+{len(values) - 10} more)' if len(values) > 10 else ''
        raise DataFormatError(
            f'{path}: task {self.name!r} has labels {listed}{more} out of '
            f'range (max value {int(labels.max())} in a '
            f'{labels.dtype} map); expected classes 0..{self.num_labels - 1}'
            f' or {self.ignore_index} (ignore)')

    def gt_to_tensor(self, gt: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(gt[None].astype(np.int64))

    def fake_gt(self, height: int, width: int,
                generator: torch.Generator) -> torch.Tensor:
        return torch.randint(
            0, self.num_labels, (1, height, width), generator=generator)

    # -------------------------------------------------------------- model
    def loss_target(self, gt: torch.Tensor) -> torch.Tensor:
        """``(N, 1, H, W)`` labels as ``(N, H, W)``."""
        return gt.squeeze(1)

    def read_array(self, path: str,
                   backend_args: Optional[dict]) -> np.ndarray:
        """A label map from a PNG (grey or palette indices) or ``.npy``."""
        if path.endswith('.npy'):
            return read_npy(path, backend_args)
        return read_image(path, 'unchanged', backend_args)
