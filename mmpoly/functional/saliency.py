"""Saliency metrics: max-over-thresholds mean IoU and maxF."""
from typing import Dict

import numpy as np
import torch

#: Thresholds of the per-image IoU ('mIoU' of saliency, enters Δm).
IOU_THRESHOLDS = np.linspace(0.2, 0.9, 15)
#: Thresholds of the F-measure (0.05, 0.10, ..., 0.95).
F_THRESHOLDS = np.linspace(0.05, 0.95, 19)
#: β² of the F-measure.
BETA2 = 0.3


def saliency_stats(prob: torch.Tensor,
                   gt: torch.Tensor,
                   ignore_index: int = 255) -> Dict[str, np.ndarray]:
    """Per-image saliency statistics (they sum over images).

    A pixel is predicted salient where ``prob > threshold``; pixels whose
    ground truth is ``ignore_index`` are not counted.

    Args:
        prob: ``(H, W)`` probabilities (already passed through sigmoid).
        gt: ``(H, W)`` ground truth in {0, 1}.
        ignore_index: Ground-truth value of pixels not counted.

    Returns:
        ``iou``: ``(15,)`` IoU per IoU threshold (1 where prediction and
        ground truth are both empty); ``images``: ``(1,)`` = 1; ``tp``,
        ``fp``, ``fn``: ``(19,)`` pixel counts per F threshold.
    """
    valid = gt != ignore_index
    prob = prob[valid].double()
    pos = gt[valid] == 1
    thr = torch.as_tensor(IOU_THRESHOLDS, dtype=prob.dtype)
    pred = prob[None, :] > thr[:, None]  # (15, P)
    inter = (pred & pos[None]).sum(1).double()
    union = (pred | pos[None]).sum(1).double()
    iou = torch.where(union > 0, inter / union.clamp(min=1),
                      torch.ones_like(union))
    thr = torch.as_tensor(F_THRESHOLDS, dtype=prob.dtype)
    pred = prob[None, :] > thr[:, None]  # (19, P)
    tp = (pred & pos[None]).sum(1)
    fp = (pred & ~pos[None]).sum(1)
    fn = (~pred & pos[None]).sum(1)
    return dict(
        iou=iou.numpy(),
        images=np.ones(1),
        tp=tp.double().numpy(),
        fp=fp.double().numpy(),
        fn=fn.double().numpy())


def saliency_metrics(stats: Dict[str, np.ndarray]) -> Dict[str, float]:
    """Saliency metrics of a split (%) from summed :func:`saliency_stats`.

    Returns:
        ``mIoU`` (max over thresholds of the image-averaged IoU),
        ``mIoU_threshold`` (the threshold that gives it) and ``maxF`` (max
        over thresholds of the dataset-level F-measure).
    """
    mean_iou = stats['iou'] / max(float(stats['images'][0]), 1.0)
    best = int(np.argmax(mean_iou))
    tp, fp, fn = stats['tp'], stats['fp'], stats['fn']
    with np.errstate(invalid='ignore', divide='ignore'):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        denom = BETA2 * precision + recall
        f = np.where(denom > 0, (1 + BETA2) * precision * recall / denom, 0.0)
    return dict(
        mIoU=100.0 * float(mean_iou[best]),
        mIoU_threshold=float(IOU_THRESHOLDS[best]),
        maxF=100.0 * float(f.max()))
