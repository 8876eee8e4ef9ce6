"""Binary dense prediction with a probability output (saliency)."""
from typing import Dict, Optional

import cv2
import numpy as np
import torch

from ..functional.saliency import saliency_metrics, saliency_stats
from ..registry import TASKS
from .base_task import Drawing
from .drawing import apply_colormap, colormap_legend
from .label_io import DataFormatError, probability_to_uint8, write_png
from .label_map_task import LabelMapTask


@TASKS.register_module()
class BinaryTask(LabelMapTask):
    """A per-pixel yes/no task predicted as a probability: saliency.

    - Ground truth: a grey PNG (or ``.npy``) binarised as
      ``value / 255 > gt_threshold`` (``.npy``: ``value > gt_threshold``;
      1-bit PNGs as they are; a PNG value above 255 is an error);
      the pipeline carries ``{0, 1}`` with ``ignore_index`` for padding.
    - Head: one logit; loss: class-balanced binary cross-entropy (each
      batch's positives and negatives weigh equally); prediction: the
      sigmoid probability, ``float (1, H, W)``.
    - Metrics: ``mIoU`` (primary, higher is better): for each of 15
      thresholds in [0.2, 0.9] the per-image IoU (1 when prediction and
      ground truth are both empty) averaged over images, maximum over the
      thresholds; ``maxF`` (β² = 0.3, dataset-level counts, thresholds
      0.05..0.95), computed on the probabilities once.
    - Written predictions: 8-bit probability PNGs.

    Args:
        name: Task name.
        gt_threshold: Binarisation threshold of the ground truth in [0, 1].
        ignore_index: Label of unlabelled (padded) pixels.
        **kwargs: :class:`~mmpoly.tasks.BaseTask` arguments.
    """

    primary_metric = 'mIoU'
    higher_is_better = True

    def __init__(self,
                 name: str,
                 gt_threshold: float = 0.5,
                 ignore_index: int = 255,
                 **kwargs) -> None:
        super().__init__(name, ignore_index=ignore_index, **kwargs)
        if not 0.0 <= gt_threshold < 1.0:
            raise ValueError(f'tasks.{name}.gt_threshold must be in [0, 1), '
                             f'got {gt_threshold!r}')
        self.gt_threshold = float(gt_threshold)

    @property
    def num_labels(self) -> int:
        return 2

    @property
    def out_channels(self) -> int:
        return 1

    # --------------------------------------------------------------- data
    def read_gt(self,
                path: str,
                backend_args: Optional[dict] = None) -> np.ndarray:
        arr = self.read_array(path, backend_args)
        is_npy = path.endswith('.npy')
        if not is_npy and arr.ndim == 3 and arr.shape[2] in (3, 4):
            _check_grey(arr, path, self.name)  # an RGB(A) file of grey
            arr = arr[..., 0]
        if arr.dtype == bool:  # a 1-bit PNG (or a boolean .npy)
            return self.as_label_map(arr.astype(np.uint8), path)
        if not is_npy and arr.size and arr.max() > 255:
            raise DataFormatError(
                f'{path}: task {self.name!r} expects an 8-bit grey PNG '
                f'(0..255, salient/edge above {self.gt_threshold} * 255), got'
                f' a {arr.dtype} file with values up to {int(arr.max())}')
        scale = 1.0 if is_npy else 255.0
        binary = arr.astype(np.float32) / scale > self.gt_threshold
        return self.as_label_map(binary.astype(np.uint8), path)

    # -------------------------------------------------------------- model
    def default_loss(self) -> dict:
        return dict(type='BalancedBinaryCrossEntropyLoss')

    def activate(self, logits: torch.Tensor) -> torch.Tensor:
        return logits.sigmoid()

    # --------------------------------------------------------- evaluation
    def stats(self, pred: torch.Tensor,
              gt: torch.Tensor) -> Dict[str, np.ndarray]:
        return saliency_stats(pred[0], gt[0], self.ignore_index)

    def metrics(self,
                stats: Dict[str, np.ndarray],
                dataset_meta: Optional[dict] = None) -> Dict[str, float]:
        m = saliency_metrics(stats)
        return {'mIoU': m['mIoU'], 'maxF': m['maxF']}

    def write_prediction(self, pred: np.ndarray, path_stem: str) -> str:
        return write_png(probability_to_uint8(pred[0]), path_stem + '.png')

    def visualize(self,
                  data: torch.Tensor,
                  image: np.ndarray,
                  dataset_meta: Optional[dict] = None) -> Drawing:
        """A heat map of the probability (ground truth: 0 or 1); unlabelled
        pixels grey."""
        prob = data[0].cpu().numpy().astype(np.float32)
        ignored = prob == self.ignore_index
        tile = apply_colormap(np.where(ignored, 0, prob), cv2.COLORMAP_JET)
        tile[ignored] = 128
        return tile, colormap_legend(0.0, 1.0, cmap=cv2.COLORMAP_JET)


def _check_grey(arr: np.ndarray, path: str, task: str) -> None:
    """Accept an RGB(A) image only when its colour channels are equal."""
    rgb = arr[..., :3]
    if not (np.array_equal(rgb[..., 0], rgb[..., 1])
            and np.array_equal(rgb[..., 0], rgb[..., 2])):
        raise DataFormatError(
            f'{path}: task {task!r} expects a grey image, got colour '
            f'channels that differ (shape {arr.shape})')
