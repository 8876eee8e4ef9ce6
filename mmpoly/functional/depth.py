"""Depth metrics over the valid pixels of a split."""
from typing import Dict

import numpy as np
import torch

#: The thresholds of the δ accuracies: max(pred/gt, gt/pred) < 1.25^k.
DELTA_BASE = 1.25
DELTA_POWERS = (1, 2, 3)


def depth_stats(pred: torch.Tensor,
                gt: torch.Tensor,
                min_depth: float = 1e-3) -> Dict[str, np.ndarray]:
    """Sums of per-pixel depth errors of one image (they sum over images).

    Args:
        pred: ``(H, W)`` predicted depth in metres (clamped to at least
            ``min_depth`` for the ratio and log terms).
        gt: ``(H, W)`` ground truth in metres; pixels ``<= 0`` are invalid.
        min_depth: Smallest predicted depth used in ratios and logarithms.

    Returns:
        ``count`` (valid pixels), ``sq`` (Σ (p - g)²), ``abs_rel``
        (Σ |p - g| / g), ``log_sq`` (Σ (ln p - ln g)²) and ``within``
        (pixels with max(p/g, g/p) < 1.25^k for k = 1, 2, 3).
    """
    valid = gt > 0
    g = gt[valid].double()
    p = pred[valid].double()
    p_pos = p.clamp(min=min_depth)
    ratio = torch.maximum(p_pos / g, g / p_pos)
    return dict(
        count=np.array([float(g.numel())]),
        sq=np.array([((p - g)**2).sum().item()]),
        abs_rel=np.array([((p - g).abs() / g).sum().item()]),
        log_sq=np.array([((p_pos.log() - g.log())**2).sum().item()]),
        within=np.array([(ratio < DELTA_BASE**k).sum().item()
                         for k in DELTA_POWERS],
                        dtype=np.float64))


def depth_metrics(stats: Dict[str, np.ndarray]) -> Dict[str, float]:
    """Depth metrics of a split, pixel-wise over all its valid pixels.

    Returns:
        ``rmse`` (metres), ``abs_rel``, ``log_rmse`` and ``delta1``,
        ``delta2``, ``delta3`` (% of pixels within 1.25, 1.25², 1.25³).
        NaN when the split has no valid pixel.
    """
    n = float(stats['count'][0])
    if n == 0:
        keys = ('rmse', 'abs_rel', 'log_rmse') + tuple(f'delta{k}'
                                                       for k in DELTA_POWERS)
        return {k: float('nan') for k in keys}
    out = dict(
        rmse=float(np.sqrt(stats['sq'][0] / n)),
        abs_rel=float(stats['abs_rel'][0] / n),
        log_rmse=float(np.sqrt(stats['log_sq'][0] / n)))
    for k, c in zip(DELTA_POWERS, stats['within']):
        out[f'delta{k}'] = 100.0 * float(c) / n
    return out
