"""Class-map metrics: per-class IoU and mIoU accumulated over a split."""
from typing import Dict

import numpy as np
import torch
from mmseg.evaluation.metrics import IoUMetric


def segmentation_stats(pred: torch.Tensor,
                       gt: torch.Tensor,
                       num_classes: int,
                       ignore_index: int = 255) -> Dict[str, np.ndarray]:
    """Per-class pixel counts of one image.

    Args:
        pred: ``(H, W)`` predicted classes.
        gt: ``(H, W)`` ground-truth classes.
        num_classes: Number of classes.
        ignore_index: Ground-truth value of pixels not counted.

    Returns:
        ``intersect``, ``union``, ``pred_area``, ``gt_area``: ``(C,)`` counts.
    """
    inter, union, pred_area, gt_area = IoUMetric.intersect_and_union(
        pred, gt, num_classes, ignore_index)
    return dict(
        intersect=inter.double().numpy(),
        union=union.double().numpy(),
        pred_area=pred_area.double().numpy(),
        gt_area=gt_area.double().numpy())


def segmentation_metrics(stats: Dict[str, np.ndarray],
                         absent_iou: float = 0.0) -> Dict[str, object]:
    """mIoU (%) from counts summed over the split.

    Args:
        stats: Summed output of :func:`segmentation_stats`.
        absent_iou: IoU of a class absent from both prediction and ground
            truth over the whole split: 0 (the PEFT papers' convention) or
            ``nan`` (excluded from the mean, MMSeg's convention).

    Returns:
        ``mIoU``, ``aAcc`` (pixel accuracy, %), ``IoU`` (per class, %).
    """
    union = stats['union']
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = np.where(union > 0, stats['intersect'] / union, absent_iou)
    miou = float(np.nanmean(iou)) if not np.all(np.isnan(iou)) else 0.0
    total = stats['gt_area'].sum()
    acc = float(stats['intersect'].sum() / total) if total > 0 else 0.0
    return dict(mIoU=100.0 * miou, aAcc=100.0 * acc, IoU=100.0 * iou)
