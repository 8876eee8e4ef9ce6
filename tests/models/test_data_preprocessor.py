"""MultiTaskDataPreprocessor: normalising, batching and padding gt maps."""
import pytest
import torch
from mmengine.structures import PixelData
from mmpoly_test_utils import pascal_tasks, task_cfgs
from mmseg.registry import MODELS

from mmpoly.models.data_preprocessor import stack_multitask_batch
from mmpoly.structures import MultiTaskDataSample

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]


def _sample(h, w, seed):
    g = torch.Generator().manual_seed(seed)
    s = MultiTaskDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w)))
    s.gt_semseg = PixelData(data=torch.randint(0, 21, (1, h, w), generator=g))
    s.gt_human_parts = PixelData(
        data=torch.randint(0, 7, (1, h, w), generator=g))
    s.gt_sal = PixelData(data=torch.randint(0, 2, (1, h, w), generator=g))
    n = torch.randn(3, h, w, generator=g)
    s.gt_normals = PixelData(data=n / n.norm(dim=0, keepdim=True))
    return s


def _batch(shapes=((5, 6), (7, 4))):
    g = torch.Generator().manual_seed(0)
    inputs = [
        torch.randint(0, 256, (3, h, w), generator=g, dtype=torch.uint8)
        for h, w in shapes
    ]
    samples = [_sample(h, w, i) for i, (h, w) in enumerate(shapes)]
    return dict(inputs=inputs, data_samples=samples)


def _build(**kwargs):
    cfg = dict(
        type='MultiTaskDataPreprocessor',
        mean=MEAN,
        std=STD,
        bgr_to_rgb=True,
        pad_val=0,
        tasks=task_cfgs())
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_training_pads_gt_with_task_values():
    pre = _build(size=(8, 8))
    data = _batch()
    orig = [{
        k: s.get(k).data.clone()
        for k in ('gt_semseg', 'gt_human_parts', 'gt_sal', 'gt_normals')
    } for s in data['data_samples']]
    raw = [x.clone() for x in data['inputs']]
    out = pre(data, training=True)
    x = out['inputs']
    assert x.shape == (2, 3, 8, 8) and x.dtype == torch.float32
    samples = out['data_samples']
    for i, ((h, w), s) in enumerate(zip(((5, 6), (7, 4)), samples)):
        assert s.img_shape == (h, w)
        assert tuple(s.pad_shape) == (8, 8)
        assert tuple(s.padding_size) == (0, 8 - w, 0, 8 - h)
        # image: normalised RGB (bgr_to_rgb swaps channels), padded with 0
        for c in range(3):
            expected = (raw[i][2 - c].float() - MEAN[c]) / STD[c]
            assert torch.allclose(x[i, c, :h, :w], expected, atol=1e-5)
        assert (x[i, :, h:, :] == 0).all() and (x[i, :, :, w:] == 0).all()
        for key in ('gt_semseg', 'gt_human_parts', 'gt_sal'):
            d = s.get(key).data
            assert d.shape == (1, 8, 8), key
            assert d.dtype == torch.int64, key
            assert torch.equal(d[:, :h, :w], orig[i][key])
            assert (d[:, h:, :] == 255).all() and (d[:, :, w:] == 255).all()
        n = s.gt_normals.data
        assert n.shape == (3, 8, 8) and n.dtype == torch.float32
        assert torch.equal(n[:, :h, :w], orig[i]['gt_normals'])
        assert (n[:, h:, :] == 0).all() and (n[:, :, w:] == 0).all()


def test_training_size_divisor():
    pre = _build(size_divisor=4)
    out = pre(_batch(((5, 6), (3, 9))), training=True)
    assert out['inputs'].shape == (2, 3, 8, 12)
    s = out['data_samples'][1]
    assert s.gt_semseg.data.shape == (1, 8, 12)
    assert tuple(s.padding_size) == (0, 3, 0, 5)
    assert (s.gt_sal.data[:, 3:] == 255).all()
    assert (s.gt_normals.data[:, 3:] == 0).all()


def test_training_needs_size():
    pre = _build()
    with pytest.raises(ValueError, match='size'):
        pre(_batch(), training=True)
    with pytest.raises(ValueError, match='data_samples'):
        _build(size=(8, 8))(dict(inputs=_batch()['inputs']), training=True)
    with pytest.raises(ValueError, match='needs tasks'):
        _build(size=(8, 8), tasks=None)(_batch(), training=True)


def test_test_mode_size_divisor():
    pre = _build(test_cfg=dict(size_divisor=4))
    data = _batch()
    gt_before = data['data_samples'][0].gt_semseg.data.clone()
    out = pre(data, training=False)
    assert out['inputs'].shape == (2, 3, 8, 8)
    s0, s1 = out['data_samples']
    assert s0.img_shape == (5, 6) and tuple(s0.pad_shape) == (8, 8)
    assert tuple(s0.padding_size) == (0, 2, 0, 3)
    assert tuple(s1.padding_size) == (0, 4, 0, 1)
    # test mode does not touch the ground truth (kept at original size)
    assert torch.equal(s0.gt_semseg.data, gt_before)
    assert (out['inputs'][0, :, 5:, :] == 0).all()


def test_test_mode_different_sizes_error():
    pre = _build()
    with pytest.raises(ValueError) as e:
        pre(_batch(), training=False)
    assert '(5, 6)' in str(e.value) and '(7, 4)' in str(e.value)
    assert 'size_divisor' in str(e.value)


def test_test_mode_same_size_no_padding():
    pre = _build()
    out = pre(_batch(((6, 6), (6, 6))), training=False)
    assert out['inputs'].shape == (2, 3, 6, 6)
    assert tuple(out['data_samples'][0].padding_size) == (0, 0, 0, 0)
    out = pre(dict(inputs=_batch(((6, 6), ))['inputs']), training=False)
    assert out['data_samples'] is None


def test_stack_multitask_batch_fixed_size_smaller_than_image():
    inputs = [torch.zeros(3, 10, 4), torch.zeros(3, 6, 6)]
    samples = [_sample(10, 4, 0), _sample(6, 6, 1)]
    batch, infos = stack_multitask_batch(
        inputs, samples, pascal_tasks(), size=(8, 8), pad_val=-1.0)
    assert batch.shape == (2, 3, 10, 8)
    assert infos[0]['padding_size'] == (0, 4, 0, 0)
    assert infos[1]['padding_size'] == (0, 2, 0, 4)
    assert (batch[1, :, 6:] == -1).all()
    assert samples[1].gt_human_parts.data.shape == (1, 10, 8)
    assert (samples[1].gt_human_parts.data[:, 6:] == 255).all()
