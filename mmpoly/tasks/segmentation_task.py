"""Semantic segmentation (and any per-pixel classification, e.g. parts)."""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from ..functional.segmentation import (segmentation_metrics,
                                       segmentation_stats)
from ..registry import TASKS
from .base_task import Drawing
from .drawing import blend, label_palette
from .label_io import write_png
from .label_map_task import LabelMapTask


@TASKS.register_module()
class SegmentationTask(LabelMapTask):
    """Per-pixel classification into ``num_classes`` classes.

    - Ground truth: an index PNG (grey or palette) or ``.npy`` of class ids
      ``0 .. num_classes - 1``, ``ignore_index`` = unlabelled; a class id at
      or above ``num_classes`` is an error naming the file.
    - Head: ``num_classes`` logits; loss: cross-entropy averaged over the
      labelled pixels; prediction: the argmax, ``int64 (1, H, W)``; the
      pixel accuracy is logged in training as ``acc_seg``.
    - Metrics: ``mIoU`` (primary, higher is better) over all classes from
      TP / FP / FN counted over the whole split, ``aAcc``, and
      ``IoU.<class>`` per class.
    - Written predictions: index PNGs (8-bit, 16-bit above 256 classes).

    Args:
        name: Task name.
        num_classes: Number of classes (including background).
        class_names: The classes' names, in label order, or the path of a
            text file with one name per line (``#`` starts a comment). When
            None, names come from the data set's ``<name>_classes`` meta
            information, else class indices are used.
        ignore_index: Label of unlabelled pixels.
        absent_class_iou: IoU of a class absent from prediction and ground
            truth over the whole split: 0.0 (the PEFT papers' convention) or
            ``float('nan')`` to leave it out of the mean (MMSeg's).
        per_class: Report ``IoU.<class>``.
        **kwargs: :class:`~mmpoly.tasks.BaseTask` arguments.
    """

    primary_metric = 'mIoU'
    higher_is_better = True

    def __init__(self,
                 name: str,
                 num_classes: int,
                 class_names: Optional[Union[str, Sequence[str]]] = None,
                 ignore_index: int = 255,
                 absent_class_iou: float = 0.0,
                 per_class: bool = True,
                 **kwargs) -> None:
        super().__init__(name, ignore_index=ignore_index, **kwargs)
        if isinstance(
                num_classes,
                bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f'tasks.{name}.num_classes must be a positive '
                             f'integer, got {num_classes!r}')
        self.num_classes = num_classes
        self.class_names = _class_names(class_names, num_classes, name)
        self.absent_class_iou = float(absent_class_iou)
        self.per_class = per_class

    @property
    def num_labels(self) -> int:
        return self.num_classes

    @property
    def out_channels(self) -> int:
        return self.num_classes

    # --------------------------------------------------------------- data
    def read_gt(self,
                path: str,
                backend_args: Optional[dict] = None) -> np.ndarray:
        return self.as_label_map(self.read_array(path, backend_args), path)

    # -------------------------------------------------------------- model
    def default_loss(self) -> dict:
        return dict(
            type='CrossEntropyLoss', avg_non_ignore=True, loss_name='loss_ce')

    def activate(self, logits: torch.Tensor) -> torch.Tensor:
        return logits.argmax(dim=0, keepdim=True)

    def train_log_vars(self, logits: torch.Tensor,
                       target: torch.Tensor) -> Dict[str, torch.Tensor]:
        valid = target != self.ignore_index
        if not valid.any():
            return {}
        correct = (logits.argmax(1) == target) & valid
        return dict(acc_seg=correct.sum().float().mul(100.0 / valid.sum()))

    # --------------------------------------------------------- evaluation
    def stats(self, pred: torch.Tensor,
              gt: torch.Tensor) -> Dict[str, np.ndarray]:
        return segmentation_stats(pred[0], gt[0], self.num_classes,
                                  self.ignore_index)

    def metrics(self,
                stats: Dict[str, np.ndarray],
                dataset_meta: Optional[dict] = None) -> Dict[str, float]:
        m = segmentation_metrics(stats, self.absent_class_iou)
        out = {'mIoU': m['mIoU'], 'aAcc': m['aAcc']}
        if self.per_class:
            for name, iou in zip(self._names(dataset_meta), m['IoU']):
                out[f'IoU.{name}'] = float(iou)
        return out

    def _names(self, dataset_meta: Optional[dict]) -> Tuple[str, ...]:
        if self.class_names is not None:
            return self.class_names
        names = (dataset_meta or {}).get(f'{self.name}_classes')
        if names is not None and len(names) == self.num_classes:
            return tuple(names)
        return tuple(str(i) for i in range(self.num_classes))

    def write_prediction(self, pred: np.ndarray, path_stem: str) -> str:
        dtype = np.uint8 if self.num_classes <= 256 else np.uint16
        return write_png(pred[0].astype(dtype), path_stem + '.png')

    def visualize(self,
                  data: torch.Tensor,
                  image: np.ndarray,
                  dataset_meta: Optional[dict] = None) -> Drawing:
        """The image under a palette overlay; the legend lists the classes
        present, most frequent first (up to :attr:`MAX_LEGEND`)."""
        labels = data[0].cpu().numpy().astype(np.int64)
        known = (labels >= 0) & (labels < self.num_classes)
        palette = label_palette(self.num_classes)
        colours = palette[np.where(known, labels, 0)]
        tile = blend(image, colours, 0.6 * known)
        counts = np.bincount(labels[known], minlength=self.num_classes)
        names = self._names(dataset_meta)
        order = [
            int(c) for c in np.argsort(-counts, kind='stable') if counts[c] > 0
        ][:self.MAX_LEGEND]
        legend = [(names[c], tuple(int(v) for v in palette[c])) for c in order]
        return tile, legend

    #: Classes listed in a drawing's legend at most.
    MAX_LEGEND = 8

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(name={self.name!r}, '
                f'num_classes={self.num_classes})')


def _class_names(names, num_classes: int,
                 task: str) -> Optional[Tuple[str, ...]]:
    if names is None:
        return None
    if isinstance(names, str):
        if not osp.isfile(names):
            raise FileNotFoundError(
                f'tasks.{task}.class_names: file {names!r} not found')
        with open(names) as f:
            lines = (line.split('#', 1)[0].strip() for line in f)
            names = [line for line in lines if line]
    names = tuple(str(n) for n in names)
    if len(names) != num_classes:
        raise ValueError(f'tasks.{task}.class_names has {len(names)} names '
                         f'but num_classes={num_classes}')
    return names
