"""ODS-F / OIS-F on hand-made cases whose answers are known."""
import numpy as np
import pytest
import torch

from mmpoly.functional.edge import (best_interpolated_f, edge_metrics,
                                    edge_stats, edge_thresholds, match_edges,
                                    maximum_matching)
from mmpoly.functional.thinning import deletion_tables, thin
from mmpoly.tasks import EdgeTask

H, W = 60, 80  # diagonal 100 px: max_dist=0.02 is a 2-pixel tolerance
THR = edge_thresholds(99)


def _line(row, col0=10, length=10):
    m = np.zeros((H, W), np.uint8)
    m[row, col0:col0 + length] = 1
    return m


def _metrics(pairs, max_dist=0.02):
    """Summed statistics of (prob, gt) pairs, then ODS / OIS in %."""
    stats = [edge_stats(p, g, THR, max_dist) for p, g in pairs]
    summed = {k: np.sum([s[k] for s in stats], axis=0) for k in stats[0]}
    return edge_metrics(summed, THR)


def test_thresholds_are_bsds():
    np.testing.assert_allclose(edge_thresholds(99), np.arange(1, 100) / 100)
    np.testing.assert_allclose(edge_thresholds(3), [0.25, 0.5, 0.75])


def test_perfect_prediction():
    gt = _line(20)
    m = _metrics([(gt * 0.9, gt)])
    assert m['odsF'] == pytest.approx(100.0)
    assert m['oisF'] == pytest.approx(100.0)
    assert m['odsR'] == pytest.approx(100.0)
    assert m['odsP'] == pytest.approx(100.0)


def test_shift_within_and_beyond_the_tolerance():
    gt, shifted = _line(20), _line(21)
    assert _metrics([(shifted * 0.9, gt)], 0.02)['odsF'] == \
        pytest.approx(100.0)
    # 0.5-pixel tolerance: a 1-pixel shift matches nothing
    assert _metrics([(shifted * 0.9, gt)], 0.005)['odsF'] == 0.0


def test_half_recall_and_half_precision():
    gt = _line(20, length=20)
    half = _line(20, length=10)
    # P = 1, R = 0.5 -> F = 2/3
    assert _metrics([(half * 0.9, gt)])['odsF'] == pytest.approx(200 / 3)
    # a far-away false line as long as the true one: P = 0.5, R = 1
    pred = gt * 0.9 + _line(50, length=20) * 0.9
    m = _metrics([(pred, gt)])
    assert m['odsF'] == pytest.approx(200 / 3)
    assert m['odsP'] == pytest.approx(50.0) and m['odsR'] == \
        pytest.approx(100.0)


def test_matching_is_one_to_one():
    gt = np.zeros((H, W), np.uint8)
    gt[20, 20] = 1
    pred = np.zeros((H, W), np.float32)
    pred[20, 20] = pred[20, 21] = 0.9  # both within 2 px of the one edge
    # thinning keeps a two-pixel segment; one match: P = 1/2, R = 1
    m = _metrics([(pred, gt)])
    assert m['odsF'] == pytest.approx(200 / 3)


def test_ods_uses_one_threshold_ois_one_per_image():
    """Image A is best at a high threshold, image B at a low one.

    A: its edge at p = 0.905, a false line at 0.505; B: its edge at 0.305,
    a false line at 0.805. One threshold for both (ODS): best F = 2/3; each
    image's own best threshold (OIS): counts (10, 10, 10, 10) and
    (10, 10, 10, 20), F = 2 * 1 * 2/3 / (1 + 2/3) = 0.8.
    """
    gt = _line(20)
    false = _line(45)
    a = gt * 0.905 + false * 0.505
    b = gt * 0.305 + false * 0.805
    m = _metrics([(a, gt), (b, gt)])
    assert m['odsF'] == pytest.approx(200 / 3)
    assert m['oisF'] == pytest.approx(80.0)


def test_empty_maps():
    empty = np.zeros((H, W), np.uint8)
    m = _metrics([(empty.astype(np.float32), empty)])
    assert m['odsF'] == 0.0 and m['oisF'] == 0.0
    # nothing predicted for a real edge: R = 0
    assert _metrics([(empty.astype(np.float32), _line(5))])['odsF'] == 0.0


def test_ignored_pixels_are_neither_predicted_nor_matched():
    gt = _line(20)
    gt[40:, :] = 255  # unlabelled region
    pred = _line(20) * 0.9 + _line(50) * 0.9  # the false line is ignored
    assert _metrics([(pred.astype(np.float32), gt)])['odsF'] == \
        pytest.approx(100.0)


def test_interpolated_best_f():
    """Between (R, P) = (1, 0) and (0, 1) the best point is the middle,
    F = 0.5, which neither threshold reaches (BSDS's findBestRPF)."""
    t, r, p, f = best_interpolated_f(
        np.array([0.25, 0.75]), np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    assert f == pytest.approx(0.5, abs=1e-3)
    assert r == pytest.approx(
        0.5, abs=0.01) and t == pytest.approx(
            0.5, abs=0.01)


def test_maximum_matching_beats_greedy():
    # left 0 is adjacent to right 0 and 1, left 1 only to right 0: a
    # greedy left-to-right matching pairs 0-0 and stops at one pair
    assert maximum_matching([[0, 1], [0]], 2) == 2
    assert maximum_matching([[0], [0], [0]], 1) == 1
    assert maximum_matching([[], [1]], 2) == 1


def test_maximum_matching_equals_scipy_on_random_graphs():
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching
    rng = np.random.default_rng(0)
    for _ in range(200):
        left, right = rng.integers(1, 25, 2)
        a = rng.random((left, right)) < rng.random() * 0.3
        ref = (maximum_bipartite_matching(
            csr_matrix(a.astype(np.int8)), perm_type='column') >= 0).sum()
        adj = [list(np.flatnonzero(row)) for row in a]
        assert maximum_matching(adj, int(right)) == ref


def test_match_edges_tolerance():
    gt = _line(20).astype(bool)
    assert match_edges(_line(22).astype(bool), gt, 2.0) == 10
    assert match_edges(_line(23).astype(bool), gt, 2.0) == 0


def test_thinning_equals_scikit_image():
    import cv2
    from skimage.morphology import thin as sk_thin
    rng = np.random.default_rng(1)
    for trial in range(100):
        h, w = rng.integers(1, 50, 2)
        b = rng.random((h, w)) < rng.random()
        if trial % 2:
            b = cv2.GaussianBlur(b.astype(np.float32), (0, 0), 2) > 0.3
        np.testing.assert_array_equal(thin(b), sk_thin(b))
    first, second = deletion_tables()
    assert first.shape == second.shape == (256, ) and first.sum() > 0


def test_edge_task_statistics_sum_over_images():
    task = EdgeTask('edge', max_dist=0.02)
    gt = torch.from_numpy(_line(20))[None]
    pred = torch.from_numpy(_line(20).astype(np.float32) * 0.9)[None]
    s1 = task.stats(pred, gt)
    summed = {k: s1[k] + s1[k] for k in s1}
    m = task.metrics(summed)
    assert m['odsF'] == pytest.approx(100.0) and m['oisF'] == \
        pytest.approx(100.0)
    assert task.default_loss()['pos_weight'] == 0.95
