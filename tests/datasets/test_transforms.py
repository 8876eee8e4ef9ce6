"""Geometric transforms keep every task map aligned with the image."""
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmseg.registry import TRANSFORMS

from mmpoly.datasets.transforms import (MultiTaskPad, MultiTaskRandomFlip,
                                        MultiTaskResize, PackMultiTaskInputs)
from mmpoly.structures import MultiTaskDataSample
from mmpoly.tasks import (BinaryTask, DepthTask, NormalsTask, SegmentationTask,
                          TaskSet)
from mmpoly.tasks.normals_task import resize_normals

TASKS = TaskSet([
    SegmentationTask('semseg', 21),
    SegmentationTask('human_parts', 7),
    BinaryTask('sal'),
    NormalsTask('normals'),
])

H, W = 24, 32
#: Unit normals indexed by (semseg class % 3); all have x and y components.
TABLE = np.array([[0.6, 0.0, 0.8], [0.0, -0.6, 0.8], [0.48, 0.64, 0.6]],
                 np.float32)


def make_results(h=H, w=W):
    """Image and gt maps that are functions of the pixel coordinates.

    semseg = x // 4, human parts = y // 4, sal = (x // 4 + y // 4) % 2;
    the image encodes them in its channels (semseg * 10, parts * 30,
    20 + 200 * sal); normals = TABLE[semseg % 3] except on rows y < 4
    (parts == 0) where they are the zero vector.
    """
    yy, xx = np.mgrid[0:h, 0:w]
    sem = ((xx // 4) % 21).astype(np.uint8)
    parts = ((yy // 4) % 7).astype(np.uint8)
    sal = ((xx // 4 + yy // 4) % 2).astype(np.uint8)
    img = np.stack([sem * 10, parts * 30, 20 + 200 * sal],
                   axis=-1).astype(np.uint8)
    normals = TABLE[sem % 3].copy()
    normals[parts == 0] = 0
    return dict(
        img=img,
        img_shape=(h, w),
        ori_shape=(h, w),
        gt_semseg=sem,
        gt_human_parts=parts,
        gt_sal=sal,
        gt_normals=normals.astype(np.float32),
        task_set=TASKS,
        seg_fields=['gt_semseg', 'gt_human_parts', 'gt_sal', 'gt_normals'])


def decode_img(img):
    img = img.astype(np.int64)
    return img[..., 0] // 10, img[..., 1] // 30, (img[..., 2] > 100)


def interior(img, r=2):
    """Pixels whose (2r+1)^2 neighbourhood has the same image value."""
    h, w = img.shape[:2]
    pad = np.pad(img, ((r, r), (r, r), (0, 0)), mode='edge')
    same = np.ones((h, w), bool)
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            same &= (pad[dy:dy + h, dx:dx + w] == img).all(axis=2)
    return same


def check_aligned(results,
                  flip_x=False,
                  flip_y=False,
                  exact_normals=True,
                  r=1):
    img = results['img']
    h, w = img.shape[:2]
    for key in ('gt_semseg', 'gt_human_parts', 'gt_sal'):
        assert results[key].shape == (h, w), key
    assert results['gt_normals'].shape == (h, w, 3)
    sem, parts, sal = decode_img(img)
    np.testing.assert_array_equal(results['gt_semseg'], sem)
    np.testing.assert_array_equal(results['gt_human_parts'], parts)
    np.testing.assert_array_equal(results['gt_sal'], sal.astype(np.uint8))
    n = results['gt_normals']
    labelled = np.abs(n).sum(axis=2) > 0
    # zero exactly where parts == 0 (validity follows the nearest pixel)
    np.testing.assert_array_equal(labelled, parts != 0)
    np.testing.assert_allclose(
        np.linalg.norm(n[labelled], axis=1), 1.0, atol=1e-5)
    expected = TABLE[sem % 3].copy()
    if flip_x:
        expected[..., 0] *= -1
    if flip_y:
        expected[..., 1] *= -1
    where = labelled if exact_normals else labelled & interior(img, r)
    assert where.sum() >= 8
    # bilinear interpolation near block borders mixes neighbouring vectors
    # a little (< 0.1); a misaligned map would be off by > 0.5
    np.testing.assert_allclose(
        n[where], expected[where], atol=1e-5 if exact_normals else 0.1)


def test_pattern_self_check():
    r = make_results()
    check_aligned(r)
    # the check can fail: a 1-pixel shift of a map breaks it
    r2 = make_results()
    r2['gt_semseg'] = np.roll(r2['gt_semseg'], 1, axis=1)
    with pytest.raises(AssertionError):
        check_aligned(r2)
    r3 = make_results()
    r3['gt_normals'] = r3['gt_normals'][:, ::-1].copy()
    with pytest.raises(AssertionError):
        check_aligned(r3)


@pytest.mark.parametrize('scale,out_hw', [((64, 48), (48, 64)),
                                          ((24, 18), (18, 24)),
                                          ((50, 37), (37, 49))])
def test_resize_nearest_aligned(scale, out_hw):
    t = MultiTaskResize(scale=scale, keep_ratio=True, interpolation='nearest')
    r = t(make_results())
    assert r['img'].shape[:2] == out_hw
    check_aligned(r, exact_normals=False)


def test_resize_bilinear_image_maps_follow():
    t = MultiTaskResize(scale=(64, 48), keep_ratio=True)
    r = t(make_results())
    assert r['img'].shape[:2] == (48, 64)
    for key in ('gt_semseg', 'gt_human_parts', 'gt_sal'):
        assert r[key].shape == (48, 64)
        assert r[key].dtype == np.uint8
    # class maps are resized with nearest: values stay labels
    assert set(np.unique(r['gt_semseg'])) == set(range(8))
    assert set(np.unique(r['gt_sal'])) == {0, 1}
    # 2x nearest upscaling of the maps
    orig = make_results()
    np.testing.assert_array_equal(r['gt_semseg'],
                                  orig['gt_semseg'].repeat(2, 0).repeat(2, 1))
    np.testing.assert_array_equal(
        r['gt_human_parts'], orig['gt_human_parts'].repeat(2, 0).repeat(2, 1))
    n = r['gt_normals']
    labelled = np.abs(n).sum(axis=2) > 0
    np.testing.assert_array_equal(labelled, r['gt_human_parts'] != 0)
    np.testing.assert_allclose(
        np.linalg.norm(n[labelled], axis=1), 1.0, atol=1e-5)
    # block interiors keep the exact vector
    sem = r['gt_semseg']
    inner = labelled & interior(
        np.stack([sem, r['gt_human_parts']], -1).astype(np.uint8))
    np.testing.assert_allclose(n[inner], TABLE[sem % 3][inner], atol=1e-5)


def test_resize_normals_unit_and_zero():
    rng = np.random.default_rng(0)
    n = rng.normal(size=(10, 12, 3)).astype(np.float32)
    n /= np.linalg.norm(n, axis=2, keepdims=True)
    n[:4] = 0  # unlabelled rows
    n[6, 6] = 0
    for size_wh in ((24, 20), (7, 5), (12, 10), (30, 9)):
        out = resize_normals(n, size_wh)
        assert out.shape == (size_wh[1], size_wh[0], 3)
        assert out.dtype == np.float32
        length = np.linalg.norm(out, axis=2)
        labelled = length > 0
        np.testing.assert_allclose(length[labelled], 1.0, atol=1e-5)
        # validity is the nearest-resized validity
        import mmcv
        valid = mmcv.imresize(
            (np.abs(n).sum(2) > 0).astype(np.uint8),
            size_wh,
            interpolation='nearest') > 0
        np.testing.assert_array_equal(labelled, valid)
    np.testing.assert_array_equal(
        resize_normals(np.zeros((5, 6, 3), np.float32), (12, 10)), 0)
    # same size: identity on unit vectors
    np.testing.assert_allclose(resize_normals(n, (12, 10)), n, atol=1e-6)


def random_resize(ratio_range, **kw) -> dict:
    """mmseg's RandomResize of a (32, 24) scale with MultiTaskResize."""
    return dict(
        type='RandomResize',
        scale=(32, 24),
        ratio_range=ratio_range,
        keep_ratio=True,
        resize_type='MultiTaskResize',
        **kw)


def test_random_resize_with_multitask_resize():
    t = TRANSFORMS.build(random_resize((1.5, 1.5), interpolation='nearest'))
    r = t(make_results())
    assert r['img'].shape[:2] == (36, 48)
    check_aligned(r, exact_normals=False)


def test_random_resize_bilinear_normals_unit():
    t = TRANSFORMS.build(random_resize((0.6, 1.4)))
    for _ in range(3):
        r = t(make_results())
        h, w = r['img'].shape[:2]
        n = r['gt_normals']
        assert n.shape == (h, w, 3)
        length = np.linalg.norm(n, axis=2)
        np.testing.assert_allclose(length[length > 0], 1.0, atol=1e-5)
        np.testing.assert_array_equal(length > 0, r['gt_human_parts'] != 0)


def test_random_crop_aligned():
    np.random.seed(0)
    t = TRANSFORMS.build(dict(type='RandomCrop', crop_size=(13, 17)))
    for _ in range(5):
        r = t(make_results())
        assert r['img'].shape[:2] == (13, 17)
        assert r['img_shape'] == (13, 17)
        check_aligned(r)


def test_flip_horizontal():
    t = MultiTaskRandomFlip(prob=1.0)
    orig = make_results()
    inp = make_results()
    normals_in = inp['gt_normals']
    r = t(inp)
    assert r['flip'] and r['flip_direction'] == 'horizontal'
    np.testing.assert_array_equal(r['img'], orig['img'][:, ::-1])
    np.testing.assert_array_equal(r['gt_semseg'], orig['gt_semseg'][:, ::-1])
    check_aligned(r, flip_x=True)
    expected = orig['gt_normals'][:, ::-1].copy()
    expected[..., 0] *= -1
    np.testing.assert_array_equal(r['gt_normals'], expected)
    # the input's normal array was not modified in place
    np.testing.assert_array_equal(normals_in, orig['gt_normals'])


def test_flip_vertical_and_diagonal():
    orig = make_results()
    r = MultiTaskRandomFlip(prob=1.0, direction='vertical')(make_results())
    assert r['flip_direction'] == 'vertical'
    check_aligned(r, flip_y=True)
    expected = orig['gt_normals'][::-1].copy()
    expected[..., 1] *= -1
    np.testing.assert_array_equal(r['gt_normals'], expected)
    r = MultiTaskRandomFlip(prob=1.0, direction='diagonal')(make_results())
    check_aligned(r, flip_x=True, flip_y=True)
    np.testing.assert_array_equal(r['gt_normals'][..., 2],
                                  orig['gt_normals'][::-1, ::-1, 2])


def test_no_flip_keeps_normals():
    r = MultiTaskRandomFlip(prob=0.0)(make_results())
    assert not r['flip']
    check_aligned(r)


def test_pad_values():
    t = MultiTaskPad(size=(40, 30), pad_val=dict(img=7))
    orig = make_results()
    r = t(make_results())
    assert r['img'].shape == (30, 40, 3)
    assert tuple(r['pad_shape'][:2]) == (30, 40)
    np.testing.assert_array_equal(r['img'][:H, :W], orig['img'])
    assert (r['img'][H:] == 7).all() and (r['img'][:, W:] == 7).all()
    for key in ('gt_semseg', 'gt_human_parts', 'gt_sal'):
        assert r[key].shape == (30, 40), key
        np.testing.assert_array_equal(r[key][:H, :W], orig[key])
        assert (r[key][H:] == 255).all() and (r[key][:, W:] == 255).all()
    n = r['gt_normals']
    assert n.shape == (30, 40, 3)
    np.testing.assert_array_equal(n[:H, :W], orig['gt_normals'])
    assert (n[H:] == 0).all() and (n[:, W:] == 0).all()


def test_pad_size_divisor_and_other_field():
    r = make_results(20, 30)
    r['gt_other'] = np.ones((20, 30), np.uint8)
    r['seg_fields'].append('gt_other')
    out = MultiTaskPad(size_divisor=16, pad_val=dict(img=0, seg=99))(r)
    assert out['img'].shape[:2] == (32, 32)
    assert (out['gt_other'][20:] == 99).all()  # not a task: 'seg' value
    assert (out['gt_semseg'][20:] == 255).all()
    assert (out['gt_normals'][:, 30:] == 0).all()


def test_full_train_pipeline_aligned():
    np.random.seed(1)
    pipeline = Compose([
        random_resize((1.25, 1.25), interpolation='nearest'),
        dict(type='RandomCrop', crop_size=(20, 20)),
        dict(type='MultiTaskRandomFlip', prob=1.0),
        dict(type='MultiTaskPad', size=(24, 24)),
    ])
    r = pipeline(make_results())
    assert r['img'].shape == (24, 24, 3)
    inner = {
        k: (v[:20, :20] if isinstance(v, np.ndarray) else v)
        for k, v in r.items()
    }
    check_aligned(inner, flip_x=True, exact_normals=False)
    assert (r['gt_semseg'][20:] == 255).all()
    assert (r['gt_normals'][:, 20:] == 0).all()


def test_pack_inputs():
    r = make_results()
    r.update(
        img_path='/x/2008_000001.jpg',
        img_id='2008_000001',
        scale_factor=(1.0, 1.0),
        flip=False,
        flip_direction=None,
        tasks=('semseg', 'human_parts', 'sal', 'normals'))
    r['gt_seg_map'] = np.zeros((H, W), np.uint8)  # not a task: dropped
    r['seg_fields'].append('gt_seg_map')
    out = PackMultiTaskInputs()(r)
    inputs = out['inputs']
    assert isinstance(inputs, torch.Tensor)
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, H, W)
    assert torch.equal(inputs[0], torch.from_numpy(r['img'][..., 0]))
    s = out['data_samples']
    assert isinstance(s, MultiTaskDataSample)
    assert sorted(s.gt_tasks()) == ['human_parts', 'normals', 'sal', 'semseg']
    for task in ('semseg', 'human_parts', 'sal'):
        d = s.get_gt(task).data
        assert d.dtype == torch.int64 and d.shape == (1, H, W)
        assert torch.equal(d[0], torch.from_numpy(r[f'gt_{task}']).long())
    n = s.gt_normals.data
    assert n.dtype == torch.float32 and n.shape == (3, H, W)
    assert torch.equal(n, torch.from_numpy(r['gt_normals']).permute(2, 0, 1))
    assert s.img_path == '/x/2008_000001.jpg'
    assert s.img_id == '2008_000001'
    assert s.ori_shape == (H, W) and s.img_shape == (H, W)
    assert s.flip is False
    assert s.tasks == ('semseg', 'human_parts', 'sal', 'normals')
    assert 'gt_seg_map' not in s


def test_pack_grey_image_and_subset():
    r = dict(
        img=np.zeros((5, 6), np.uint8),
        gt_sal=np.ones((5, 6), np.uint8),
        task_set=TASKS,
        seg_fields=['gt_sal'])
    out = PackMultiTaskInputs()(r)
    assert out['inputs'].shape == (1, 5, 6)
    assert out['data_samples'].gt_tasks() == ['sal']


def test_transforms_need_the_task_set():
    r = make_results()
    del r['task_set']
    for t in (MultiTaskResize(scale=(8, 8)), MultiTaskRandomFlip(prob=1.0),
              MultiTaskPad(size=(40, 40)), PackMultiTaskInputs()):
        with pytest.raises(KeyError, match='task_set'):
            t(dict(r))


# ------------------------------------------------------------------ depth
DEPTH = TaskSet([DepthTask('depth'), DepthTask('near', resize='nearest')])


def depth_results():
    """A depth ramp (1 + x / 10 metres) with an invalid (0) block."""
    yy, xx = np.mgrid[0:12, 0:16]
    depth = (1.0 + xx / 10.0).astype(np.float32)
    depth[4:8, 4:8] = 0
    return dict(
        img=np.zeros((12, 16, 3), np.uint8),
        img_shape=(12, 16),
        gt_depth=depth,
        gt_near=depth.copy(),
        task_set=DEPTH,
        seg_fields=['gt_depth', 'gt_near'])


@pytest.mark.parametrize('scale', [(32, 24), (11, 8), (23, 17)])
def test_depth_resize_does_not_leak_invalid_pixels(scale):
    r = MultiTaskResize(scale=scale, keep_ratio=False)(depth_results())
    h, w = r['img'].shape[:2]
    for key in ('gt_depth', 'gt_near'):
        d = r[key]
        assert d.shape == (h, w) and d.dtype == np.float32
        valid = d > 0
        near_valid = MultiTaskResize(
            scale=scale, keep_ratio=False,
            interpolation='nearest')(depth_results())['gt_near'] > 0
        np.testing.assert_array_equal(valid, near_valid)
        # valid values stay within the range of the ramp: an invalid 0
        # averaged in would pull them below 1 m
        assert d[valid].min() >= 1.0 - 1e-6 and d[valid].max() <= 2.5 + 1e-6
    # bilinear: a linear ramp stays linear (in x) away from the hole
    xs = (np.arange(w) + 0.5) * 16 / w - 0.5
    row = r['gt_depth'][0]
    ok = (xs > 0) & (xs < 15)
    np.testing.assert_allclose(row[ok], 1.0 + xs[ok] / 10.0, atol=1e-5)
    # nearest: only values of the input
    assert set(np.unique(r['gt_near'][r['gt_near'] > 0])) <= set(
        np.unique(depth_results()['gt_near']))


def test_depth_flip_and_pad():
    r = MultiTaskRandomFlip(prob=1.0)(depth_results())
    np.testing.assert_array_equal(r['gt_depth'],
                                  depth_results()['gt_depth'][:, ::-1])
    r = MultiTaskPad(size=(20, 14))(depth_results())
    assert r['gt_depth'].shape == (14, 20)
    assert (r['gt_depth'][12:] == 0).all() and (r['gt_depth'][:, 16:]
                                                == 0).all()
    out = PackMultiTaskInputs()(r)['data_samples'].get_gt('depth').data
    assert out.shape == (1, 14, 20) and out.dtype == torch.float32


def test_scale_rotate_keeps_maps_aligned_and_rotates_normals():
    from mmpoly.datasets.transforms import MultiTaskRandomScaleRotate
    results = make_results(48, 64)
    results['img'] = np.repeat(results['gt_semseg'][..., None], 3, 2) * 10
    t = MultiTaskRandomScaleRotate(scale_range=(0.8, 0.8), max_angle=0.0,
                                   interpolation='nearest')
    np.random.seed(0)
    rotated = t(dict(results, max_angle=0))
    assert rotated['scale_rotate'] == (0.8, 0.0)
    sem, img = rotated['gt_semseg'], rotated['img'][..., 0] // 10
    inside = sem != 255
    assert inside.any() and (~inside).any()  # shrunk: border is ignore
    assert np.array_equal(sem[inside], img[inside])
    assert (rotated['img'][~inside] == 0).all()
    assert (rotated['gt_sal'][~inside] == 255).all()  # padded as 'no label'
    # a 90° rotation turns x-right normals into y-up ones (x right, y up)
    n = np.zeros((8, 8, 3), np.float32)
    n[..., 0], n[..., 2] = 0.6, 0.8
    matrix = np.array([[0., 1., 0.], [-1., 0., 8.]])  # cv2, +90° about
    out = TASKS['normals'].warp_gt(n, matrix, (8, 8))
    assert np.allclose(out[2:6, 2:6], [0.0, 0.6, 0.8], atol=1e-6)
    assert np.allclose(np.linalg.norm(out[2:6, 2:6], axis=2), 1.0)
    with pytest.raises(ValueError, match='scale_range'):
        MultiTaskRandomScaleRotate(scale_range=(1.2, 0.8))
