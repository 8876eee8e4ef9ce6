"""Boundary detection metrics: ODS-F and OIS-F with tolerant matching.

A Python / NumPy / SciPy implementation of the boundary benchmark protocol
of BSDS500, which the SEISM toolbox also follows and which the multi-task
dense prediction literature uses for edges (``maxDist`` 0.0075 of the image
diagonal on PASCAL-Context, 0.011 on NYUD-v2). For each threshold ``t``:

1. the prediction is binarised as ``prob >= t`` and thinned to one-pixel
   wide lines (:func:`~mmpoly.functional.thinning.thin`, equal
   to BSDS's ``bwmorph(..., 'thin', Inf)`` and scikit-image's ``thin``);
2. predicted and ground-truth edge pixels are matched one to one when they
   are at most ``max_dist * diagonal`` pixels apart (Euclidean); the number
   of matches is a maximum-cardinality bipartite matching
   (Hopcroft-Karp, :func:`maximum_matching`);
3. recall = matched ground-truth pixels / ground-truth pixels, precision =
   matched predicted pixels / predicted pixels.

ODS-F is the best F-measure of the split-level counts over the thresholds,
searched, as in BSDS's ``findBestRPF``, along straight lines between
consecutive thresholds' (R, P) points (100 steps). OIS-F takes each image's
own best threshold (no interpolation, as in BSDS) and sums the counts at
those thresholds.

Differences from SEISM / BSDS (see README "Edge evaluation"):

- BSDS's ``correspondPixels`` solves a minimum-cost assignment (CSA) with an
  outlier cost; among pixels within the tolerance it also maximises the
  number of matches, so the counts agree, while which pixels are paired
  may differ. Ties at exactly ``max_dist`` count as matches here.
- One ground truth per image (PASCAL-Context and NYUD-v2 have one); BSDS
  averages over several human annotations.
- No non-maximum suppression of the prediction is applied here; apply it
  before evaluation if your protocol does.
- Thresholds are ``linspace(1/(T+1), 1 - 1/(T+1), T)``, as in BSDS
  (``T = 99`` there).
"""
from typing import Dict, List, Optional, Tuple

import numpy as np
from scipy.ndimage import distance_transform_edt
from scipy.spatial import cKDTree

from .thinning import thin as thin_lines


def edge_thresholds(num: int) -> np.ndarray:
    """BSDS's thresholds: ``num`` values evenly inside (0, 1)."""
    if num < 1:
        raise ValueError(f'need at least one threshold, got {num}')
    return np.linspace(1.0 / (num + 1), 1.0 - 1.0 / (num + 1), num)


def maximum_matching(adj: List[List[int]], num_right: int) -> int:
    """Size of a maximum matching of a bipartite graph (Hopcroft-Karp).

    A greedy matching is grown first, then augmented along shortest
    alternating paths, phase by phase. (SciPy's
    ``maximum_bipartite_matching`` gives the same size but takes minutes on
    some edge-matching graphs.)

    Args:
        adj: For every left vertex, its right neighbours (``0 ..
            num_right - 1``).
        num_right: Number of right vertices.

    Returns:
        The number of matched pairs.
    """
    match_l = [-1] * len(adj)
    match_r = [-1] * num_right
    for u, vs in enumerate(adj):  # greedy start
        for v in vs:
            if match_r[v] < 0:
                match_l[u], match_r[v] = v, u
                break
    while True:
        free = [u for u, vs in enumerate(adj) if match_l[u] < 0 and vs]
        dist = [-1] * len(adj)
        for u in free:
            dist[u] = 0
        queue, head, found = list(free), 0, False
        while head < len(queue):  # BFS: layers of alternating paths
            u = queue[head]
            head += 1
            for v in adj[u]:
                w = match_r[v]
                if w < 0:
                    found = True
                elif dist[w] < 0:
                    dist[w] = dist[u] + 1
                    queue.append(w)
        if not found:
            return sum(m >= 0 for m in match_l)
        ptr = [0] * len(adj)
        for root in free:  # DFS along the layers, vertex-disjoint paths
            stack, via = [root], []
            while stack:
                u = stack[-1]
                step = None
                while ptr[u] < len(adj[u]):
                    v = adj[u][ptr[u]]
                    ptr[u] += 1
                    w = match_r[v]
                    if w < 0 or dist[w] == dist[u] + 1:
                        step = (v, w)
                        break
                if step is None:  # dead end
                    dist[u] = -1
                    stack.pop()
                    if via:
                        via.pop()
                    continue
                v, w = step
                if w >= 0:
                    stack.append(w)
                    via.append(v)
                    continue
                via.append(v)  # free right vertex: augment the path
                for x, y in zip(stack, via):
                    match_l[x], match_r[y] = y, x
                break


def match_edges(pred: np.ndarray,
                gt: np.ndarray,
                max_dist_px: float,
                gt_distance: Optional[np.ndarray] = None) -> int:
    """Number of one-to-one matches between two binary edge maps.

    Args:
        pred: ``(H, W)`` bool, predicted edge pixels.
        gt: ``(H, W)`` bool, ground-truth edge pixels.
        max_dist_px: Largest distance (pixels) of a matched pair.
        gt_distance: Optional ``(H, W)`` distance of every pixel to the
            nearest ground-truth edge pixel (saves computing it again).

    Returns:
        The size of a maximum matching of predicted to ground-truth pixels
        at most ``max_dist_px`` apart.
    """
    if not gt.any() or not pred.any():
        return 0
    if gt_distance is None:
        gt_distance = distance_transform_edt(~gt)
    # only predicted pixels near some ground truth can be matched
    p = np.argwhere(pred & (gt_distance <= max_dist_px + 1e-9))
    if len(p) == 0:
        return 0
    g = np.argwhere(gt)
    neighbours = cKDTree(g).query_ball_point(
        p, r=max_dist_px + 1e-9, return_sorted=True)
    return maximum_matching(list(neighbours), len(g))


def _f_measure(r: np.ndarray, p: np.ndarray) -> np.ndarray:
    denom = p + r
    return np.where(denom > 0, 2 * p * r / np.where(denom > 0, denom, 1), 0.0)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)


def edge_stats(prob: np.ndarray,
               gt: np.ndarray,
               thresholds: np.ndarray,
               max_dist: float,
               ignore_index: Optional[int] = 255,
               thin: bool = True) -> Dict[str, np.ndarray]:
    """Per-image boundary statistics (they sum over images).

    Args:
        prob: ``(H, W)`` edge probabilities.
        gt: ``(H, W)`` ground-truth edges in {0, 1}; pixels equal to
            ``ignore_index`` are neither predicted nor matched.
        thresholds: ``(T,)`` thresholds on ``prob``.
        max_dist: Matching tolerance as a fraction of the image diagonal.
        ignore_index: Unlabelled ground-truth value, or None.
        thin: Thin each binarised prediction to one-pixel lines.

    Returns:
        ``cnt_r``, ``sum_r``, ``cnt_p``, ``sum_p``: ``(T,)`` matched and
        total ground-truth / predicted edge pixels per threshold;
        ``ois``: ``(4,)`` the same four counts at this image's best
        threshold.
    """
    prob = np.asarray(prob, dtype=np.float64)
    gt = np.asarray(gt)
    valid = np.ones(gt.shape, bool) if ignore_index is None else \
        gt != ignore_index
    gt_edges = (gt == 1) & valid
    h, w = gt.shape
    radius = max_dist * float(np.hypot(h, w))
    num = len(thresholds)
    cnt_r, sum_r, cnt_p, sum_p = (np.zeros(num) for _ in range(4))
    sum_r[:] = gt_edges.sum()
    gt_distance = distance_transform_edt(~gt_edges) if gt_edges.any() \
        else None
    previous, matched = None, 0
    for i, t in enumerate(thresholds):
        binary = (prob >= t) & valid
        if thin:
            binary = thin_lines(binary)
        packed = np.packbits(binary).tobytes()
        if packed != previous:  # else: the previous threshold's map
            matched = 0 if gt_distance is None else match_edges(
                binary, gt_edges, radius, gt_distance)
            previous = packed
        cnt_r[i] = cnt_p[i] = matched
        sum_p[i] = binary.sum()
    f = _f_measure(_ratio(cnt_r, sum_r), _ratio(cnt_p, sum_p))
    best = int(np.argmax(f))
    return dict(
        cnt_r=cnt_r,
        sum_r=sum_r,
        cnt_p=cnt_p,
        sum_p=sum_p,
        ois=np.array([cnt_r[best], sum_r[best], cnt_p[best], sum_p[best]]))


def best_interpolated_f(thresholds: np.ndarray, r: np.ndarray,
                        p: np.ndarray) -> Tuple[float, float, float, float]:
    """BSDS's ``findBestRPF``: the best F on the segments between
    consecutive thresholds' (R, P) points.

    Returns:
        ``(threshold, recall, precision, F)`` at the best point.
    """
    if len(thresholds) == 1:
        f = float(_f_measure(r, p)[0])
        return float(thresholds[0]), float(r[0]), float(p[0]), f
    a = np.linspace(0, 1, 100)[None, :]
    rt = a * r[1:, None] + (1 - a) * r[:-1, None]
    pt = a * p[1:, None] + (1 - a) * p[:-1, None]
    tt = a * thresholds[1:, None] + (1 - a) * thresholds[:-1, None]
    ft = _f_measure(rt, pt)
    k = np.unravel_index(int(np.argmax(ft)), ft.shape)
    return float(tt[k]), float(rt[k]), float(pt[k]), float(ft[k])


def edge_metrics(stats: Dict[str, np.ndarray],
                 thresholds: np.ndarray) -> Dict[str, float]:
    """ODS-F and OIS-F (%) from summed :func:`edge_stats`.

    Returns:
        ``odsF`` with its ``odsR``, ``odsP`` and threshold ``ods_threshold``,
        and ``oisF``.
    """
    r = _ratio(stats['cnt_r'], stats['sum_r'])
    p = _ratio(stats['cnt_p'], stats['sum_p'])
    t, best_r, best_p, best_f = best_interpolated_f(thresholds, r, p)
    cr, sr, cp, sp = stats['ois']
    ois = _f_measure(
        _ratio(np.array([cr]), np.array([sr])),
        _ratio(np.array([cp]), np.array([sp])))[0]
    return dict(
        odsF=100.0 * best_f,
        odsR=100.0 * best_r,
        odsP=100.0 * best_p,
        ods_threshold=t,
        oisF=100.0 * float(ois))
