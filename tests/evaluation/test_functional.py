"""Segmentation, saliency and normals metrics, and Δm, on hand cases."""
import math

import numpy as np
import pytest
import torch

from mmpoly.functional import (delta_m, depth_metrics, depth_stats,
                               histogram_median, normals_metrics,
                               normals_stats, saliency_metrics, saliency_stats,
                               segmentation_metrics, segmentation_stats)
from mmpoly.functional.normals import HIST_BIN_DEG, HIST_BINS
from mmpoly.functional.saliency import F_THRESHOLDS, IOU_THRESHOLDS


def _sum(rows):
    return {k: sum(r[k] for r in rows) for k in rows[0]}


# ----------------------------------------------------------- segmentation
def _seg_case():
    gt = torch.tensor([[0, 0, 1, 255], [1, 2, 2, 0]])
    pred = torch.tensor([[0, 1, 1, 3], [1, 2, 0, 0]])
    return pred, gt


def test_segmentation_stats_hand():
    pred, gt = _seg_case()
    s = segmentation_stats(pred, gt, 4)
    # valid (gt, pred) pairs: (0,0) (0,1) (1,1) (1,1) (2,2) (2,0) (0,0);
    # the class-3 prediction is on an ignored pixel
    np.testing.assert_array_equal(s['intersect'], [2, 2, 1, 0])
    np.testing.assert_array_equal(s['gt_area'], [3, 2, 2, 0])
    np.testing.assert_array_equal(s['pred_area'], [3, 3, 1, 0])
    np.testing.assert_array_equal(s['union'], [4, 3, 2, 0])


def test_segmentation_metrics_absent_class_zero():
    pred, gt = _seg_case()
    m = segmentation_metrics(segmentation_stats(pred, gt, 4))
    np.testing.assert_allclose(m['IoU'], [50.0, 200 / 3, 50.0, 0.0])
    assert m['mIoU'] == pytest.approx((0.5 + 2 / 3 + 0.5 + 0.0) / 4 * 100)
    assert m['mIoU'] == pytest.approx(41.6666667)
    assert m['aAcc'] == pytest.approx(5 / 7 * 100)


def test_segmentation_metrics_absent_class_nan():
    pred, gt = _seg_case()
    m = segmentation_metrics(
        segmentation_stats(pred, gt, 4), absent_iou=float('nan'))
    assert np.isnan(m['IoU'][3])
    assert m['mIoU'] == pytest.approx((0.5 + 2 / 3 + 0.5) / 3 * 100)


def test_segmentation_predicted_only_class_counts_zero():
    gt = torch.tensor([[0, 0], [0, 0]])
    pred = torch.tensor([[0, 0], [0, 2]])
    m = segmentation_metrics(
        segmentation_stats(pred, gt, 3), absent_iou=float('nan'))
    # class 2 was predicted (union > 0): IoU 0, not excluded
    np.testing.assert_allclose(m['IoU'], [75.0, np.nan, 0.0])
    assert m['mIoU'] == pytest.approx(37.5)


def test_segmentation_accumulates_over_split():
    """Counts are summed over images before the IoU (not per-image mIoU)."""
    s1 = segmentation_stats(
        torch.tensor([[0, 0, 0, 1]]), torch.tensor([[0, 0, 0, 0]]), 2)
    s2 = segmentation_stats(torch.tensor([[1, 1]]), torch.tensor([[1, 0]]), 2)
    m = segmentation_metrics(_sum([s1, s2]))
    # class 0: I = 3, U = 5; class 1: I = 1, U = 3
    np.testing.assert_allclose(m['IoU'], [60.0, 100 / 3])
    assert m['mIoU'] == pytest.approx((0.6 + 1 / 3) / 2 * 100)


def test_segmentation_all_ignored():
    s = segmentation_stats(
        torch.zeros(2, 2, dtype=torch.long), torch.full((2, 2), 255), 3)
    m = segmentation_metrics(s)
    assert m['mIoU'] == 0.0 and m['aAcc'] == 0.0
    m = segmentation_metrics(s, absent_iou=float('nan'))
    assert m['mIoU'] == 0.0


# --------------------------------------------------------------- saliency
def test_threshold_grids():
    np.testing.assert_allclose(IOU_THRESHOLDS, np.arange(0.2, 0.9001, 0.05))
    assert len(IOU_THRESHOLDS) == 15
    np.testing.assert_allclose(F_THRESHOLDS, np.arange(0.05, 0.9501, 0.05))
    assert len(F_THRESHOLDS) == 19


# Probabilities chosen away from every threshold.
SAL_A = ([[0.92, 0.63], [0.37, 0.12]], [[1, 1], [1, 0]])
SAL_B = ([[0.08, 0.08], [0.08, 0.08]], [[0, 0], [0, 0]])  # both empty
SAL_C = ([[0.27, 0.52], [0.72, 0.97]], [[0, 0], [1, 1]])


def _sal(case):
    prob, gt = case
    return saliency_stats(
        torch.tensor(prob, dtype=torch.float64), torch.tensor(gt))


def test_saliency_per_image_iou():
    # thresholds: 0.2 0.25 0.3 0.35 | 0.4 .. 0.6 | 0.65 .. 0.9
    np.testing.assert_allclose(
        _sal(SAL_A)['iou'], [1] * 4 + [2 / 3] * 5 + [1 / 3] * 6)
    # prediction and ground truth both empty -> 1
    np.testing.assert_allclose(_sal(SAL_B)['iou'], [1.0] * 15)
    # 0.2 0.25 | 0.3 .. 0.5 | 0.55 .. 0.7 | 0.75 .. 0.9
    np.testing.assert_allclose(
        _sal(SAL_C)['iou'], [0.5] * 2 + [2 / 3] * 5 + [1] * 4 + [0.5] * 4)


def test_saliency_empty_gt_with_prediction_is_zero():
    s = saliency_stats(
        torch.tensor([[0.95, 0.1]], dtype=torch.float64), torch.tensor([[0,
                                                                         0]]))
    np.testing.assert_allclose(s['iou'], [0.0] * 15)


def test_saliency_metrics_hand():
    rows = [_sal(c) for c in (SAL_A, SAL_B, SAL_C)]
    summed = {k: sum(r[k] for r in rows) for k in rows[0]}
    tp, fp, fn = summed['tp'], summed['fp'], summed['fn']
    assert summed['images'][0] == 3
    # dataset-level counts: 5 positives (0.92 0.63 0.37 0.72 0.97),
    # 7 negatives (0.12, 4 x 0.08, 0.27, 0.52)
    np.testing.assert_array_equal(
        tp, [5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 3, 3, 2, 2, 2, 2, 1])
    np.testing.assert_array_equal(
        fp, [7, 3, 2, 2, 2, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(fn, 5 - tp)
    m = saliency_metrics(summed)
    # image-mean IoU is largest (0.8889) first at threshold 0.3
    assert m['mIoU'] == pytest.approx((1 + 1 + 2 / 3) / 3 * 100)
    assert m['mIoU_threshold'] == pytest.approx(0.3)
    # best F at threshold 0.55: P = 1, R = 0.8
    f = 1.3 * 1.0 * 0.8 / (0.3 * 1.0 + 0.8)
    assert m['maxF'] == pytest.approx(100 * f)
    assert m['maxF'] == pytest.approx(94.545454545)


def test_saliency_ignore_and_float32():
    prob = torch.tensor([[0.95, 0.8], [0.4, 0.6]])  # float32 input
    gt = torch.tensor([[1, 255], [255, 0]])
    s = saliency_stats(prob, gt)
    # 0.95 (positive) and 0.6 (negative) only
    assert s['tp'][0] == 1 and s['fp'][0] == 1 and s['fn'][0] == 0
    np.testing.assert_allclose(s['iou'][:8], 0.5)  # t < 0.6
    np.testing.assert_allclose(s['iou'][-5:], 1.0)  # 0.7 <= t <= 0.9


def test_saliency_no_prediction_f_zero():
    m = saliency_metrics(
        saliency_stats(
            torch.zeros(2, 2, dtype=torch.float64),
            torch.tensor([[1, 0], [0, 0]])))
    assert m['maxF'] == 0.0 and m['mIoU'] == 0.0


# ---------------------------------------------------------------- normals
def _vecs(*v):
    """(3, 1, P) tensor from P xyz vectors."""
    return torch.tensor(v, dtype=torch.float64).t().reshape(3, 1, len(v))


def _deg(a):
    return [math.cos(math.radians(a)), math.sin(math.radians(a)), 0.0]


def test_normals_hand():
    pred = _vecs([1, 0, 0], [0, 1, 0], [1, 1, 0], _deg(20), _deg(10),
                 [0, 0, 1])
    gt = _vecs([1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0],
               [0, 0, 0])  # last pixel: no label
    s = normals_stats(pred.float(), gt.float())
    assert s['count'][0] == 5
    errors = [0, 90, 45, 20, 10]
    assert s['sum'][0] == pytest.approx(sum(errors), abs=1e-3)
    assert s['sum_sq'][0] == pytest.approx(
        sum(e * e for e in errors), rel=1e-5)
    np.testing.assert_array_equal(s['within'], [2, 3, 3])
    assert s['hist'].shape == (HIST_BINS, ) and s['hist'].sum() == 5
    m = normals_metrics(s)
    assert m['mean'] == pytest.approx(33.0, abs=1e-3)
    assert m['rmse'] == pytest.approx(math.sqrt(2125.0), abs=1e-3)
    assert abs(m['median'] - 20.0) <= HIST_BIN_DEG
    assert m['11.25'] == pytest.approx(40.0)
    assert m['22.5'] == pytest.approx(60.0)
    assert m['30'] == pytest.approx(60.0)


def test_normals_pixelwise_over_split():
    # image 1: one pixel with 0 deg; image 2: two pixels with 90 deg
    s1 = normals_stats(_vecs([0, 0, 1]), _vecs([0, 0, 1]))
    s2 = normals_stats(
        _vecs([1, 0, 0], [0, 1, 0]), _vecs([0, 0, 1], [0, 0, -1]))
    m = normals_metrics(_sum([s1, s2]))
    assert m['mean'] == pytest.approx(60.0, abs=1e-6)  # not (0 + 90) / 2
    assert m['rmse'] == pytest.approx(math.sqrt(2 * 8100 / 3), abs=1e-6)
    assert abs(m['median'] - 90.0) <= HIST_BIN_DEG
    assert m['30'] == pytest.approx(100 / 3)


def test_normals_predictions_are_normalised_and_180():
    s = normals_stats(
        _vecs([5, 0, 0], [-2, 0, 0]), _vecs([1, 0, 0], [1, 0, 0]))
    m = normals_metrics(s)
    assert m['mean'] == pytest.approx(90.0, abs=1e-6)  # (0 + 180) / 2
    assert s['hist'][-1] == 1  # 180 deg lands in the last bin


def test_normals_no_valid_pixels():
    s = normals_stats(_vecs([1, 0, 0]), _vecs([0, 0, 0]))
    assert s['count'][0] == 0
    m = normals_metrics(s)
    assert all(math.isnan(v) for v in m.values())


def test_histogram_median():
    assert histogram_median(np.array([0, 2, 0, 1]), 1.0) == pytest.approx(
        1.75)  # 1.5 of 3 values, in bin [1, 2)
    assert histogram_median(np.array([1, 1, 1]), 0.5) == pytest.approx(0.75)
    assert math.isnan(histogram_median(np.zeros(4, int), 1.0))
    rng = np.random.default_rng(0)
    for values in (rng.uniform(0, 90, 10001), rng.gamma(2.0, 8.0, 5000)):
        hist, _ = np.histogram(values, bins=HIST_BINS, range=(0, 180))
        m = histogram_median(hist, HIST_BIN_DEG)
        assert abs(m - np.median(values)) <= HIST_BIN_DEG


def test_normals_median_matches_numpy_on_many_pixels():
    g = torch.Generator().manual_seed(0)
    # dense enough (10,000 pixels) that neighbouring errors are much closer
    # than a histogram bin
    pred = torch.randn(3, 100, 101, generator=g, dtype=torch.float64)
    gt = torch.randn(3, 100, 101, generator=g, dtype=torch.float64)
    gt = gt / gt.norm(dim=0, keepdim=True)
    m = normals_metrics(normals_stats(pred, gt))
    p = pred / pred.norm(dim=0, keepdim=True)
    err = torch.rad2deg(torch.acos((p * gt).sum(0).clamp(-1, 1))).numpy()
    assert m['mean'] == pytest.approx(err.mean(), rel=1e-9)
    assert abs(m['median'] - np.median(err)) <= HIST_BIN_DEG
    assert m['rmse'] == pytest.approx(np.sqrt((err**2).mean()), rel=1e-9)
    assert m['22.5'] == pytest.approx(100 * (err < 22.5).mean())


# ------------------------------------------------------------------ Δm
def _tasks(**refs):
    from mmpoly.tasks import (BinaryTask, DepthTask, EdgeTask, NormalsTask,
                              SegmentationTask)
    kinds = dict(
        semseg=lambda n, r: SegmentationTask(n, 21, delta_m_reference=r),
        human_parts=lambda n, r: SegmentationTask(n, 7, delta_m_reference=r),
        sal=lambda n, r: BinaryTask(n, delta_m_reference=r),
        normals=lambda n, r: NormalsTask(n, delta_m_reference=r),
        depth=lambda n, r: DepthTask(n, delta_m_reference=r),
        edge=lambda n, r: EdgeTask(n, delta_m_reference=r))
    return {n: kinds[n](n, r) for n, r in refs.items()}


def test_delta_m_formula_and_signs():
    metrics = dict(semseg=70.0, human_parts=60.0, sal=62.35, normals=17.0)
    tasks = _tasks(semseg=67.21, human_parts=61.93, sal=62.35, normals=17.97)
    expected = ((70.0 - 67.21) / 67.21 * 100 +
                (60.0 - 61.93) / 61.93 * 100 + 0.0 -
                (17.0 - 17.97) / 17.97 * 100) / 4
    assert delta_m(metrics, tasks) == pytest.approx(expected)
    # a lower normals error is an improvement
    assert delta_m(dict(normals=17.0), tasks) == pytest.approx(
        (17.97 - 17.0) / 17.97 * 100)
    assert delta_m(dict(normals=17.0), tasks) > 0
    assert delta_m(dict(semseg=67.21), tasks) == 0.0
    assert delta_m(dict(semseg=60.0), tasks) < 0
    # depth RMSE: lower is better; edge odsF: higher is better
    tasks = _tasks(depth=0.5, edge=70.0)
    assert delta_m(dict(depth=0.4, edge=77.0), tasks) == pytest.approx(
        (20.0 + 10.0) / 2)


def test_delta_m_missing_reference():
    tasks = _tasks(semseg=67.21, normals=None)
    with pytest.raises(ValueError) as e:
        delta_m(dict(semseg=70.0, normals=17.0), tasks)
    assert 'tasks.normals.delta_m_reference' in str(e.value)


# ------------------------------------------------------------------ depth
def test_depth_metrics_hand():
    pred = torch.tensor([[1.0, 2.0], [4.0, 9.0]])
    gt = torch.tensor([[1.0, 2.5], [2.0, 0.0]])  # the last pixel invalid
    m = depth_metrics(depth_stats(pred, gt))
    err = np.array([0.0, -0.5, 2.0])
    g = np.array([1.0, 2.5, 2.0])
    p = np.array([1.0, 2.0, 4.0])
    assert m['rmse'] == pytest.approx(np.sqrt((err**2).mean()))
    assert m['abs_rel'] == pytest.approx((np.abs(err) / g).mean())
    assert m['log_rmse'] == pytest.approx(
        np.sqrt(((np.log(p) - np.log(g))**2).mean()))
    ratio = np.maximum(p / g, g / p)  # 1, 1.25, 2
    assert m['delta1'] == pytest.approx(100 / 3)  # 1.25 is not < 1.25
    assert m['delta2'] == pytest.approx(200 / 3)
    assert m['delta3'] == pytest.approx(200 / 3)  # 2 > 1.25^3 = 1.95
    assert ratio[2] > 1.25**3


def test_depth_pixelwise_over_split_and_clamped_predictions():
    a = depth_stats(torch.tensor([[1.0]]), torch.tensor([[2.0]]))
    b = depth_stats(torch.tensor([[3.0, 3.0]]), torch.tensor([[3.0, 3.0]]))
    m = depth_metrics({k: a[k] + b[k] for k in a})
    assert m['rmse'] == pytest.approx(np.sqrt(1 / 3))  # not per image
    neg = depth_stats(torch.tensor([[-1.0]]), torch.tensor([[1.0]]))
    assert np.isfinite(depth_metrics(neg)['log_rmse'])
    empty = depth_metrics(depth_stats(torch.ones(2, 2), torch.zeros(2, 2)))
    assert np.isnan(empty['rmse'])
