"""The base class of a dense prediction task."""
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Tuple

import cv2
import mmcv
import numpy as np
import torch

from .drawing import LegendEntry
from .label_io import check_size

#: A task's picture of one map: the tile and its legend.
Drawing = Tuple[np.ndarray, List[LegendEntry]]

#: Directions of a flip, and the (C, H, W) tensor dimensions they reverse.
FLIP_DIMS = dict(horizontal=(2, ), vertical=(1, ), diagonal=(1, 2))


class BaseTask(metaclass=ABCMeta):
    """One dense prediction task, and everything that differs between tasks.

    A task is declared once, in a config's top-level ``tasks`` dict (its key
    is the task's name), and every component asks it instead of branching
    on task names: the data set and the pipeline (how the ground truth is
    read, checked, resized, flipped and padded), the model (head output
    channels, default loss, how logits become a prediction), the metric
    (per-image statistics, final metrics, the primary metric and its
    direction for Δm) and the prediction writer of ``tools/test.py --out``.

    Array conventions: the pipeline carries ground truth as NumPy arrays of
    ``(H, W)`` or ``(H, W, C)``; packed samples, heads and metrics use
    tensors of ``(C, H, W)`` (``(N, C, H, W)`` in batches).

    Args:
        name: The task's name (the key in ``tasks``); ground truth lives in
            ``gt_<name>``, predictions in ``pred_<name>``, metrics under
            ``<name>/``.
        loss_weight: Weight of the task's losses in the total loss.
        delta_m_reference: Single-task reference of the primary metric, for
            Δm; None when there is none.
        ann_dir: Where a data set finds this task's files when it does not
            know the task itself: ``<data_root>/<ann_dir>/<id><ann_suffix>``,
            read by :meth:`read_gt`. None: the data set's own layout.
        ann_suffix: File suffix with ``ann_dir`` (default
            :attr:`default_suffix`).
    """

    #: ``gt`` value meaning 'no label' (used for padding).
    pad_value: float = 0.0
    #: Key, below ``<name>/``, of the metric that enters Δm.
    primary_metric: str = ''
    #: Direction of the primary metric.
    higher_is_better: bool = True
    #: Suffix of the task's files when it is read from ``ann_dir``.
    default_suffix: str = '.png'

    def __init__(self,
                 name: str,
                 loss_weight: float = 1.0,
                 delta_m_reference: Optional[float] = None,
                 ann_dir: Optional[str] = None,
                 ann_suffix: Optional[str] = None) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f'task name {name!r} must be an identifier '
                             '(letters, digits, underscores)')
        self.name = name
        self.loss_weight = _non_negative(loss_weight, name, 'loss_weight')
        if delta_m_reference is not None:
            delta_m_reference = _non_negative(delta_m_reference, name,
                                              'delta_m_reference')
            if delta_m_reference == 0:
                raise ValueError(f'tasks.{name}.delta_m_reference is 0; Δm '
                                 'divides by it')
        self.delta_m_reference = delta_m_reference
        self.ann_dir = ann_dir
        self.ann_suffix = ann_suffix or self.default_suffix

    # ------------------------------------------------------------- naming
    @property
    def gt_key(self) -> str:
        """Field of the ground truth in pipeline results and samples."""
        return f'gt_{self.name}'

    @property
    def pred_key(self) -> str:
        """Field of the prediction in data samples."""
        return f'pred_{self.name}'

    @property
    def ignore_index(self) -> int:
        """Label value the losses ignore (integer label maps)."""
        return 255

    @property
    def class_values(self) -> Optional[range]:
        """The label values that are classes, or None for a task without
        class ids (depth, normals). :attr:`ignore_index` must not be one of
        them (see :meth:`check_config`)."""
        return None

    def check_config(self) -> None:
        """Raise ``ValueError``, naming ``tasks.<name>.<key>``, if the
        task's arguments contradict each other.

        Called for every task when a :class:`~mmpoly.tasks.TaskSet` is
        built. The base check refuses an :attr:`ignore_index` that is one
        of the :attr:`class_values` (every pixel of that class would be
        ignored by the losses and the metrics); subclasses add theirs.
        """
        values = self.class_values
        if values is not None and self.ignore_index in values:
            raise ValueError(
                f'tasks.{self.name}.ignore_index={self.ignore_index} is a '
                f'class id of {type(self).__name__} {self.name!r} (classes '
                f'{_span(values)}): every pixel of that class would be '
                'ignored; choose a value outside the classes, e.g. '
                f'{max(255, values[-1] + 1)}')

    # --------------------------------------------------------------- data
    @abstractmethod
    def read_gt(self,
                path: str,
                backend_args: Optional[dict] = None) -> np.ndarray:
        """Decode the task's own file format into the pipeline's array."""

    def check_gt(self, gt: np.ndarray, path: str,
                 image_shape: Tuple[int, int]) -> None:
        """Raise :class:`~mmpoly.tasks.label_io.DataFormatError`, naming
        ``path``, if ``gt`` is not valid ground truth of this task for an
        image of ``image_shape`` (H, W). Subclasses add their checks."""
        check_size(gt, image_shape, path)

    def resize_gt(self,
                  gt: np.ndarray,
                  size_wh: Tuple[int, int],
                  backend: str = 'cv2') -> np.ndarray:
        """Resize a ground-truth map to ``size_wh`` (nearest by default)."""
        return mmcv.imresize(
            gt, size_wh, interpolation='nearest', backend=backend)

    def flip_gt(self, gt: np.ndarray, direction: str) -> np.ndarray:
        """Flip a ground-truth map like the image."""
        return mmcv.imflip(gt, direction=direction)

    def warp_gt(self, gt: np.ndarray, matrix: np.ndarray,
                size_wh: Tuple[int, int]) -> np.ndarray:
        """Warp a ground-truth map like the image by the ``2 x 3`` affine
        ``matrix`` (OpenCV's convention, e.g. a scale and rotation), to
        ``size_wh``: nearest by default, pixels from outside the map get
        :attr:`pad_value`."""
        out = cv2.warpAffine(
            gt,
            matrix,
            tuple(size_wh),
            flags=cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=float(self.pad_value))
        return out.reshape(out.shape[:2] + gt.shape[2:])

    def gt_to_tensor(self, gt: np.ndarray) -> torch.Tensor:
        """The pipeline's ``(H, W[, C])`` array as a ``(C, H, W)`` tensor."""
        arr = gt[..., None] if gt.ndim == 2 else gt
        return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))

    @abstractmethod
    def fake_gt(self, height: int, width: int,
                generator: torch.Generator) -> torch.Tensor:
        """Random valid ground truth ``(C, H, W)``, for benchmarks/tests."""

    # -------------------------------------------------------------- model
    @property
    @abstractmethod
    def out_channels(self) -> int:
        """Channels the task's decode head predicts."""

    @abstractmethod
    def default_loss(self) -> dict:
        """Config of the loss used when a head gives no ``loss_decode``."""

    def loss_target(self, gt: torch.Tensor) -> torch.Tensor:
        """The batch's ``(N, C, H, W)`` ground truth as its loss expects."""
        return gt

    @abstractmethod
    def activate(self, logits: torch.Tensor) -> torch.Tensor:
        """Turn ``(C, H, W)`` logits into the task's prediction."""

    def flip_logits(self, logits: torch.Tensor,
                    direction: str) -> torch.Tensor:
        """Undo a flip of the input on ``(C, H, W)`` logits."""
        return logits.flip(dims=FLIP_DIMS[direction])

    def train_log_vars(self, logits: torch.Tensor,
                       target: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Extra values logged in training (e.g. pixel accuracy)."""
        return {}

    # --------------------------------------------------------- evaluation
    @abstractmethod
    def stats(self, pred: torch.Tensor,
              gt: torch.Tensor) -> Dict[str, np.ndarray]:
        """Statistics of one image, at its original size.

        Args:
            pred: ``(C, H, W)`` prediction (:meth:`activate`'s output).
            gt: ``(C, H, W)`` ground truth.

        Returns:
            Arrays that sum over images (and processes) into the split's
            statistics.
        """

    @abstractmethod
    def metrics(self,
                stats: Dict[str, np.ndarray],
                dataset_meta: Optional[dict] = None) -> Dict[str, float]:
        """The split's metrics (keys without the ``<name>/`` prefix) from
        the sum of :meth:`stats` over its images; it includes
        :attr:`primary_metric`."""

    @abstractmethod
    def write_prediction(self, pred: np.ndarray, path_stem: str) -> str:
        """Write a ``(C, H, W)`` prediction in the task's file format to
        ``path_stem`` plus the format's suffix; return the path."""

    # ------------------------------------------------------ visualisation
    @abstractmethod
    def visualize(self,
                  data: torch.Tensor,
                  image: np.ndarray,
                  dataset_meta: Optional[dict] = None) -> Drawing:
        """Draw a prediction or ground truth as a picture.

        Args:
            data: ``(C, H, W)`` prediction (:meth:`activate`'s output) or
                ground truth, at the image's size.
            image: ``(H, W, 3)`` uint8 RGB image it belongs to.
            dataset_meta: The data set's meta information (class names).

        Returns:
            ``(H, W, 3)`` uint8 RGB tile and its legend: a list of
            ``(label, (r, g, b))``.
        """

    # ---------------------------------------------------------------- misc
    def __repr__(self) -> str:
        return f'{type(self).__name__}(name={self.name!r})'


def _span(values: range) -> str:
    """``range(0, 21)`` as ``'0..20'``."""
    if len(values) == 0:
        return 'none'
    return f'{values[0]}..{values[-1]}'


def _non_negative(value, task: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not np.isfinite(value) or value < 0:
        raise ValueError(f'tasks.{task}.{key} must be a non-negative '
                         f'number, got {value!r}')
    return float(value)
