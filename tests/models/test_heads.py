"""AllMLPHead / TaskDecodeHead: shapes, parameter count, losses, activation."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmpoly_test_utils import TASKS, pascal_tasks
from mmseg.registry import MODELS

from mmpoly.models.decode_heads import AllMLPHead
from mmpoly.structures import MultiTaskDataSample

SWIN_T = (96, 192, 384, 768)
PASCAL = pascal_tasks()


def _feats(n=2, size=8, widths=SWIN_T, seed=0):
    g = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(n, c, size // 2**i, size // 2**i, generator=g)
        for i, c in enumerate(widths))


def _head(task, **kw):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='AllMLPHead',
            task=PASCAL[task],
            channels=32,
            in_channels=SWIN_T,
            **kw))


def _samples(n=2, h=16, w=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        s = MultiTaskDataSample()
        sem = torch.randint(0, 21, (1, h, w), generator=g)
        sem[:, :2] = 255
        s.gt_semseg = PixelData(data=sem)
        parts = torch.randint(0, 7, (1, h, w), generator=g)
        parts[:, :, :3] = 255
        s.gt_human_parts = PixelData(data=parts)
        s.gt_sal = PixelData(data=torch.randint(0, 2, (1, h, w), generator=g))
        nrm = torch.randn(3, h, w, generator=g)
        nrm = nrm / nrm.norm(dim=0, keepdim=True)
        nrm[:, :4] = 0
        s.gt_normals = PixelData(data=nrm)
        out.append(s)
    return out


@pytest.mark.parametrize('task,out', [('semseg', 21), ('human_parts', 7),
                                      ('sal', 1), ('normals', 3)])
def test_all_mlp_head_output_shape(task, out):
    head = _head(task)
    assert head.out_channels == out and head.num_classes == out
    logits = head(_feats())
    assert logits.shape == (2, out, 8, 8)
    assert torch.isfinite(logits).all()


def test_all_mlp_head_in_index_subset():
    head = MODELS.build(
        dict(
            type='AllMLPHead',
            task=dict(type='BinaryTask', name='sal'),  # a config works too
            channels=16,
            in_channels=(192, 768),
            in_index=(1, 3)))
    assert head(_feats()).shape == (2, 1, 4, 4)


def test_pascal_heads_parameter_count():
    total = 0
    for task in TASKS:
        head = AllMLPHead(PASCAL[task], in_channels=SWIN_T, channels=256)
        n = sum(p.numel() for p in head.parameters())
        assert n == 632320 + 257 * head.out_channels, task
        total += n
    assert total == 2537504


def test_loss_by_feat_semseg_matches_hand():
    head = _head('semseg')
    head.train()
    samples = _samples()
    logits = head(_feats())
    losses = head.loss_by_feat(logits, samples)
    assert set(losses) == {'loss_ce', 'acc_seg'}
    gt = torch.stack([s.gt_semseg.data for s in samples])[:, 0]
    up = F.interpolate(
        logits, size=(16, 16), mode='bilinear', align_corners=False)
    ce = F.cross_entropy(up, gt, ignore_index=255)  # mean over non-ignored
    assert losses['loss_ce'].item() == pytest.approx(ce.item(), rel=1e-5)
    valid = gt != 255
    acc = ((up.argmax(1) == gt) & valid).sum().item() * 100.0 / valid.sum()
    assert losses['acc_seg'].item() == pytest.approx(float(acc), rel=1e-5)
    losses['loss_ce'].backward()
    assert head.conv_seg.weight.grad is not None


@pytest.mark.parametrize('task,keys', [
    ('human_parts', {'loss_ce', 'acc_seg'}),
    ('sal', {'loss_bce'}),
    ('normals', {'loss_normals_l1'}),
])
def test_loss_by_feat_keys_finite(task, keys):
    head = _head(task)
    losses = head.loss_by_feat(head(_feats()), _samples())
    assert set(losses) == keys
    for k, v in losses.items():
        assert torch.isfinite(v).all(), k
        assert v.dim() == 0
    loss = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert loss.item() > 0
    loss.backward()


def test_loss_by_feat_normals_value():
    head = _head('normals')
    samples = _samples()
    logits = head(_feats())
    losses = head.loss_by_feat(logits, samples)
    up = F.interpolate(
        logits, size=(16, 16), mode='bilinear', align_corners=False)
    gt = torch.stack([s.gt_normals.data for s in samples])
    p = F.normalize(up, dim=1)
    valid = gt.abs().sum(1, keepdim=True) > 0
    expected = ((p - gt).abs() * valid).sum() / (valid.sum() * 3)
    assert losses['loss_normals_l1'].item() == pytest.approx(
        expected.item(), rel=1e-5)


def test_loss_by_feat_missing_gt():
    head = _head('sal')
    s = MultiTaskDataSample()
    s.gt_semseg = PixelData(data=torch.zeros(1, 16, 16, dtype=torch.long))
    with pytest.raises(KeyError, match='gt_sal'):
        head.loss_by_feat(head(_feats(n=1)), [s])


def test_activate():
    logits = torch.tensor([[[1.0, -2.0]], [[3.0, 0.5]], [[0.0, 4.0]]])
    seg = _head('semseg').activate(torch.randn(21, 3, 4))
    assert seg.shape == (1, 3, 4) and seg.dtype == torch.int64
    x = torch.randn(21, 3, 4)
    assert torch.equal(_head('semseg').activate(x), x.argmax(0, True))
    sal_in = torch.tensor([[[0.0, 2.0, -1.0]]])
    sal = _head('sal').activate(sal_in)
    assert sal.shape == (1, 1, 3)
    assert torch.allclose(sal, torch.sigmoid(sal_in))
    assert sal[0, 0, 0].item() == pytest.approx(0.5)
    n = _head('normals').activate(logits)
    assert n.shape == (3, 1, 2)
    assert torch.allclose(n.norm(dim=0), torch.ones(1, 2))
    assert torch.allclose(n[:, 0, 0], torch.tensor([1.0, 3.0, 0.0]) / 10**0.5)


def test_num_classes_mismatch():
    with pytest.raises(ValueError) as e:
        AllMLPHead(
            PASCAL['semseg'], in_channels=SWIN_T, channels=16, num_classes=20)
    msg = str(e.value)
    assert "'semseg'" in msg and 'num_classes=20' in msg and '21' in msg
    with pytest.raises(ValueError, match='out_channels=3'):
        AllMLPHead(
            PASCAL['sal'], in_channels=SWIN_T, channels=16, out_channels=3)
    # matching value is accepted
    AllMLPHead(
        PASCAL['human_parts'], in_channels=SWIN_T, channels=16, num_classes=7)
    with pytest.raises(TypeError, match='BaseTask'):
        AllMLPHead('depth', in_channels=SWIN_T, channels=16)


def test_depth_and_edge_heads():
    from mmpoly.tasks import DepthTask, EdgeTask
    g = torch.Generator().manual_seed(0)
    s = MultiTaskDataSample()
    s.gt_depth = PixelData(data=torch.rand(1, 16, 16, generator=g) * 5)
    s.gt_edge = PixelData(
        data=(torch.rand(1, 16, 16, generator=g) > 0.9).long())
    for task, key in ((DepthTask('depth'), 'loss_depth_l1'),
                      (EdgeTask('edge'), 'loss_edge_bce')):
        head = AllMLPHead(task, in_channels=SWIN_T, channels=16)
        assert head.out_channels == 1
        losses = head.loss_by_feat(head(_feats(n=1)), [s])
        assert set(losses) == {key} and torch.isfinite(losses[key])


def test_binary_head_default_threshold_and_loss_weight():
    head = _head(
        'sal',
        loss_decode=dict(
            type='BalancedBinaryCrossEntropyLoss', loss_weight=3.0))
    assert head.threshold == 0.5
    base = _head('sal')
    feats = _feats()
    samples = _samples()
    logits = base(feats)  # once: dropout is active in training mode
    l3 = head.loss_by_feat(logits, samples)['loss_bce']
    l1 = base.loss_by_feat(logits, samples)['loss_bce']
    assert l3.item() == pytest.approx(3 * l1.item(), rel=1e-5)
