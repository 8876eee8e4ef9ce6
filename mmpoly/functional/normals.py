"""Surface-normal metrics: angular error statistics over all valid pixels."""
from typing import Dict

import numpy as np
import torch
import torch.nn.functional as F

#: Width in degrees of the error histogram used for the median.
HIST_BIN_DEG = 0.05
HIST_BINS = int(round(180.0 / HIST_BIN_DEG))
#: Thresholds (degrees) of the 'within' percentages.
WITHIN = (11.25, 22.5, 30.0)


def normals_stats(pred: torch.Tensor,
                  gt: torch.Tensor) -> Dict[str, np.ndarray]:
    """Angular-error statistics of one image.

    Args:
        pred: ``(3, H, W)`` predicted normals (normalised here).
        gt: ``(3, H, W)`` unit ground truth; zero vectors are not counted.

    Returns:
        ``count``, ``sum``, ``sum_sq`` of the errors in degrees, ``within``
        (counts below each :data:`WITHIN` threshold) and ``hist``, a
        histogram with :data:`HIST_BIN_DEG`-degree bins (for the median).
    """
    valid = gt.abs().sum(0) > 0
    p = F.normalize(pred.double(), dim=0)[:, valid]
    g = F.normalize(gt.double(), dim=0)[:, valid]
    err = torch.rad2deg(torch.acos((p * g).sum(0).clamp(-1.0, 1.0)))
    bins = (err / HIST_BIN_DEG).long().clamp(max=HIST_BINS - 1)
    return dict(
        count=np.array([err.numel()], dtype=np.float64),
        sum=np.array([err.sum().item()]),
        sum_sq=np.array([(err**2).sum().item()]),
        within=np.array([(err < t).sum().item() for t in WITHIN],
                        dtype=np.float64),
        hist=torch.bincount(bins,
                            minlength=HIST_BINS).numpy().astype(np.int64))


def histogram_median(hist: np.ndarray, bin_width: float) -> float:
    """Median of values binned in ``hist``, interpolated within its bin."""
    total = hist.sum()
    if total == 0:
        return float('nan')
    cum = np.cumsum(hist)
    half = total / 2.0
    k = int(np.searchsorted(cum, half))
    before = cum[k - 1] if k > 0 else 0
    frac = (half - before) / hist[k] if hist[k] > 0 else 0.0
    return float((k + frac) * bin_width)


def normals_metrics(stats: Dict[str, np.ndarray]) -> Dict[str, float]:
    """Normals metrics of a split from summed :func:`normals_stats`.

    Returns:
        ``mean``, ``median``, ``rmse`` (degrees) and ``11.25``, ``22.5``,
        ``30`` (% of pixels within). The median is interpolated within
        its histogram bin, so it is exact to one bin (0.05 degrees); with
        a handful of pixels and an even count it is the lower middle
        value's bin rather than the mean of the two middle values.
    """
    n = float(stats['count'][0])
    if n == 0:
        nan = float('nan')
        return {
            'mean': nan,
            'median': nan,
            'rmse': nan,
            '11.25': nan,
            '22.5': nan,
            '30': nan
        }
    out = dict(
        mean=float(stats['sum'][0] / n),
        median=histogram_median(stats['hist'], HIST_BIN_DEG),
        rmse=float(np.sqrt(stats['sum_sq'][0] / n)))
    for t, c in zip(('11.25', '22.5', '30'), stats['within']):
        out[t] = 100.0 * float(c) / n
    return out
