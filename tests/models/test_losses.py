"""Balanced BCE and normals L1 against hand computations."""
import math

import pytest
import torch
from mmseg.registry import MODELS

from mmpoly.models.losses import BalancedBinaryCrossEntropyLoss, NormalsL1Loss


def _bce(x, y):
    # -[y log s(x) + (1-y) log(1-s(x))]
    return math.log1p(math.exp(-x)) if y == 1 else math.log1p(math.exp(x))


def test_balanced_bce_hand():
    logits = [[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]]
    target = [[1, 0, 255], [1, 1, 0]]
    pred = torch.tensor(logits).view(1, 1, 2, 3)
    gt = torch.tensor(target).view(1, 2, 3)
    loss = BalancedBinaryCrossEntropyLoss()(pred, gt)
    # P = 3 positives, Q = 2 negatives, 1 ignored pixel
    p, q = 3, 2
    w_pos, w_neg = q / (p + q), p / (p + q)
    expected = (w_pos * (_bce(2.0, 1) + _bce(0.0, 1) + _bce(3.0, 1)) + w_neg *
                (_bce(-1.0, 0) + _bce(-2.0, 0))) / (
                    p + q)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # the ignored pixel's logit does not matter
    pred2 = pred.clone()
    pred2[0, 0, 0, 2] = 50.0
    assert BalancedBinaryCrossEntropyLoss()(pred2, gt).item() == \
        pytest.approx(expected, rel=1e-6)
    # loss_weight multiplies; 3-d predictions accepted
    w = BalancedBinaryCrossEntropyLoss(loss_weight=5.0)(pred[:, 0], gt)
    assert w.item() == pytest.approx(5 * expected, rel=1e-6)


def test_balanced_bce_batch_counts_over_batch():
    pred = torch.tensor([[[0.3, -0.7]], [[1.1, 0.2]]]).unsqueeze(1)
    gt = torch.tensor([[[1, 1]], [[1, 0]]])  # P = 3, Q = 1
    loss = BalancedBinaryCrossEntropyLoss()(pred, gt)
    expected = (0.25 * (_bce(0.3, 1) + _bce(-0.7, 1) + _bce(1.1, 1)) +
                0.75 * _bce(0.2, 0)) / 4
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_balanced_bce_all_ignored_finite():
    pred = torch.randn(2, 1, 3, 3, requires_grad=True)
    gt = torch.full((2, 3, 3), 255)
    loss = BalancedBinaryCrossEntropyLoss()(pred, gt)
    assert torch.isfinite(loss)
    assert loss.item() == 0.0
    loss.backward()
    assert torch.isfinite(pred.grad).all()


def test_balanced_bce_shape_mismatch_and_registry():
    with pytest.raises(ValueError, match='shapes differ'):
        BalancedBinaryCrossEntropyLoss()(torch.zeros(1, 1, 2, 2),
                                         torch.zeros(1, 2, 3))
    loss = MODELS.build(dict(type='BalancedBinaryCrossEntropyLoss'))
    assert loss.loss_name == 'loss_bce'


def test_balanced_bce_gradient():
    pred = torch.zeros(1, 1, 1, 2, requires_grad=True)
    gt = torch.tensor([[[1, 0]]])
    BalancedBinaryCrossEntropyLoss()(pred, gt).backward()
    # d/dx of w * bce(x, y) / 2 at x = 0: w * (sigmoid(0) - y) / 2
    assert pred.grad[0, 0, 0, 0].item() == pytest.approx(0.5 * -0.5 / 2)
    assert pred.grad[0, 0, 0, 1].item() == pytest.approx(0.5 * 0.5 / 2)


def _pixels(*vectors):
    """(1, 3, 1, P) tensor from P xyz vectors."""
    return torch.tensor(
        vectors, dtype=torch.float32).t().reshape(1, 3, 1, len(vectors))


def test_normals_l1_hand():
    raw = _pixels([2.0, 0.0, 0.0], [0.0, 3.0, 4.0], [1.0, 1.0, 1.0])
    # normalised: (1, 0, 0), (0, 0.6, 0.8), (1, 1, 1) / sqrt(3)
    gt = _pixels([1.0, 0.0, 0.0], [0.0, 0.6, 0.8], [0.0, 0.0, 0.0])
    assert NormalsL1Loss()(raw, gt).item() == pytest.approx(0.0, abs=1e-7)

    gt2 = _pixels([0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0])
    loss = NormalsL1Loss(loss_weight=10.0)(raw, gt2)
    # pixel 0: (1,0,0) vs (0,1,0): 1 + 1 + 0 = 2
    # pixel 1: (0,0.6,0.8) vs (0,0,1): 0 + 0.6 + 0.2 = 0.8
    # pixel 2: zero ground truth, ignored; mean over 2 pixels x 3 components
    assert loss.item() == pytest.approx(10.0 * 2.8 / 6, rel=1e-6)

    gt3 = _pixels([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, -1.0])
    s = 1 / math.sqrt(3)
    assert NormalsL1Loss()(raw, gt3).item() == pytest.approx(
        (s + s + (1 + s)) / 3, rel=1e-6)


def test_normals_l1_ignores_zero_vectors_and_grad():
    raw = torch.randn(1, 3, 2, 2, requires_grad=True)
    gt = torch.zeros(1, 3, 2, 2)
    gt[0, 2, 0, 0] = 1.0
    gt[0, 0, 1, 1] = -1.0
    loss = NormalsL1Loss()(raw, gt)
    p = torch.nn.functional.normalize(raw.detach(), dim=1)
    expected = ((p[0, :, 0, 0] - gt[0, :, 0, 0]).abs().sum() +
                (p[0, :, 1, 1] - gt[0, :, 1, 1]).abs().sum()) / 6
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    loss.backward()
    assert raw.grad is not None
    assert raw.grad[0, :, 0, 0].abs().sum() > 0
    assert raw.grad[0, :, 1, 1].abs().sum() > 0
    assert raw.grad[0, :, 0, 1].abs().sum() == 0
    assert raw.grad[0, :, 1, 0].abs().sum() == 0
    # changing an unlabelled pixel's prediction changes nothing
    raw2 = raw.detach().clone()
    raw2[0, :, 0, 1] = torch.tensor([5.0, -3.0, 2.0])
    assert NormalsL1Loss()(raw2, gt).item() == pytest.approx(loss.item())


def test_normals_l1_nothing_labelled():
    raw = torch.randn(1, 3, 2, 2, requires_grad=True)
    loss = NormalsL1Loss()(raw, torch.zeros(1, 3, 2, 2))
    assert loss.item() == 0.0
    loss.backward()
    assert torch.isfinite(raw.grad).all()
    with pytest.raises(ValueError, match='shapes differ'):
        NormalsL1Loss()(torch.zeros(1, 3, 2, 2), torch.zeros(1, 3, 2, 3))
    assert NormalsL1Loss().loss_name == 'loss_normals_l1'
