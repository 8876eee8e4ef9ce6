"""Each task reads, checks and writes its own file formats."""
import mmcv
import numpy as np
import pytest
import torch

from mmpoly.tasks import (BinaryTask, DataFormatError, DepthTask, EdgeTask,
                          NormalsTask, SegmentationTask)
from mmpoly.tasks.label_io import check_size
from mmpoly.tasks.normals_task import encode_normals

SEG = SegmentationTask('semseg', 21)


def _write_rgb_png(rgb, path):
    mmcv.imwrite(np.ascontiguousarray(rgb[..., ::-1]), path)  # cv2 is BGR
    return path


# -------------------------------------------------------------- class maps
def test_class_map_png(tmp_path):
    arr = np.array([[0, 5, 20], [255, 1, 0]], np.uint8)
    path = SEG.write_prediction(arr[None], str(tmp_path / 'c'))
    assert path.endswith('c.png')
    out = SEG.read_gt(path)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, arr)
    SEG.check_gt(out, path, (2, 3))


def test_class_map_palette_png(tmp_path):
    from PIL import Image
    arr = np.array([[0, 3, 15], [255, 1, 0]], np.uint8)
    img = Image.fromarray(arr, mode='P')
    img.putpalette(
        list(np.random.default_rng(0).integers(0, 255, 768, dtype=np.uint8)))
    path = str(tmp_path / 'p.png')
    img.save(path)
    np.testing.assert_array_equal(SEG.read_gt(path), arr)


def test_class_id_at_or_above_num_classes(tmp_path):
    arr = np.array([[0, 21, 30], [255, 30, 7]], np.uint8)
    path = str(tmp_path / 'bad.png')
    mmcv.imwrite(arr, path)
    gt = SEG.read_gt(path)
    with pytest.raises(DataFormatError) as e:
        SEG.check_gt(gt, path, (2, 3))
    msg = str(e.value)
    assert path in msg and "'semseg'" in msg
    assert '[21, 30]' in msg and '0..20' in msg
    # the same file is fine for a task with more classes
    SegmentationTask('other', 31).check_gt(gt, path, (2, 3))


def test_class_map_rgb_and_npy(tmp_path):
    path = _write_rgb_png(
        np.zeros((3, 3, 3), np.uint8), str(tmp_path / 'rgb.png'))
    with pytest.raises(DataFormatError) as e:
        SEG.read_gt(path)
    assert path in str(e.value) and 'single-channel' in str(e.value)
    npy = str(tmp_path / 'c.npy')
    np.save(npy, np.array([[1, 2], [3, 255]], np.int64))
    assert SEG.read_gt(npy).dtype == np.uint8
    np.save(npy, np.array([[1.5, 2]]))
    with pytest.raises(DataFormatError, match='non-integer'):
        SEG.read_gt(npy)


def test_many_classes_use_wide_maps(tmp_path):
    task = SegmentationTask('fine', 400, ignore_index=1000)
    assert task.gt_dtype == np.int32 and task.pad_value == 1000
    path = task.write_prediction(
        np.array([[[0, 399]]], np.int64), str(tmp_path / 'w'))
    assert mmcv.imread(path, 'unchanged').dtype == np.uint16


# --------------------------------------------------------------- saliency
def test_saliency_threshold(tmp_path):
    grey = np.array([[0, 127, 128, 255], [100, 200, 128, 1]], np.uint8)
    path = str(tmp_path / 's.png')
    mmcv.imwrite(grey, path)
    out = BinaryTask('sal').read_gt(path)
    assert out.dtype == np.uint8
    # 127/255 = 0.498 (not salient), 128/255 = 0.502 (salient)
    np.testing.assert_array_equal(out, [[0, 0, 1, 1], [0, 1, 1, 0]])
    colour = np.zeros((2, 2, 3), np.uint8)
    colour[0, 0] = (255, 0, 0)
    cpath = _write_rgb_png(colour, str(tmp_path / 'colour.png'))
    with pytest.raises(DataFormatError, match='grey'):
        BinaryTask('sal').read_gt(cpath)


def test_probability_png(tmp_path):
    prob = np.array([[[0.0, 0.5, 1.0], [0.2, 1.3, -0.1]]], np.float32)
    path = BinaryTask('sal').write_prediction(prob, str(tmp_path / 'p' / 'x'))
    back = mmcv.imread(path, flag='unchanged')
    np.testing.assert_array_equal(back, [[0, 128, 255], [51, 255, 0]])


# ---------------------------------------------------------------- normals
def test_normals_round_trip(tmp_path):
    task = NormalsTask('normals')
    rng = np.random.default_rng(0)
    v = rng.normal(size=(6, 5, 3)).astype(np.float32)
    v /= np.linalg.norm(v, axis=2, keepdims=True)
    path = task.write_prediction(v.transpose(2, 0, 1), str(tmp_path / 'rt'))
    png = mmcv.imread(path, channel_order='rgb')
    np.testing.assert_array_equal(png, encode_normals(v))
    back = task.read_gt(path)
    # quantisation: one 8-bit step is 2/255 per component
    np.testing.assert_allclose(back, v, atol=2.0 / 255)
    np.testing.assert_allclose(np.linalg.norm(back, axis=2), 1.0, atol=1e-5)


def test_normals_grey_png_rejected(tmp_path):
    path = str(tmp_path / 'grey.png')
    mmcv.imwrite(np.full((4, 4), 200, np.uint8), path)
    with pytest.raises(DataFormatError) as e:
        NormalsTask('normals').read_gt(path)
    assert path in str(e.value) and 'RGB' in str(e.value)


def test_normals_npy(tmp_path):
    v = np.zeros((3, 4, 3), np.float32)
    v[..., 2] = 1.05  # within unit_tolerance: renormalised
    v[0, 0] = 0.1  # too short: no label
    path = str(tmp_path / 'n.npy')
    np.save(path, v)
    out = NormalsTask('normals').read_gt(path)
    np.testing.assert_array_equal(out[0, 0], 0)
    np.testing.assert_allclose(out[1, 1], [0, 0, 1])
    v[..., 2] = 2.0  # not unit normals
    np.save(path, v)
    with pytest.raises(DataFormatError, match='not unit vectors'):
        NormalsTask('normals').read_gt(path)
    # unless the tolerance says so
    out = NormalsTask('normals', unit_tolerance=1.5).read_gt(path)
    np.testing.assert_allclose(out[1, 1], [0, 0, 1])
    np.save(path, np.zeros((3, 4)))
    with pytest.raises(DataFormatError, match=r'\(H, W, 3\)'):
        NormalsTask('normals').read_gt(path)


# ------------------------------------------------------------------ depth
def test_depth_npy_and_png(tmp_path):
    task = DepthTask('depth')
    d = np.array([[0.0, 1.5], [2.25, 10.0]], np.float32)
    path = task.write_prediction(d[None], str(tmp_path / 'd'))
    assert path.endswith('.npy')
    np.testing.assert_array_equal(task.read_gt(path), d)
    png = str(tmp_path / 'd.png')
    mmcv.imwrite((d * 1000).astype(np.uint16), png)
    np.testing.assert_allclose(task.read_gt(png), d, atol=1e-6)
    mmcv.imwrite(np.zeros((2, 2), np.uint8), png)
    with pytest.raises(DataFormatError, match='16-bit'):
        task.read_gt(png)


@pytest.mark.parametrize('bad,message', [
    (np.array([[np.nan, 1.0]]), 'NaN'),
    (np.array([[-1.0, 1.0]]), 'negative'),
    (np.zeros((1, 2, 2)), r'\(H, W\)'),
])
def test_depth_bad_values(tmp_path, bad, message):
    task = DepthTask('depth')
    path = str(tmp_path / 'bad.npy')
    np.save(path, bad)
    with pytest.raises(DataFormatError, match=message) as e:
        task.check_gt(task.read_gt(path), path, (1, 2))
    assert path in str(e.value)


def test_depth_of_another_size_than_its_image(tmp_path):
    task = DepthTask('depth')
    path = str(tmp_path / 'd.npy')
    np.save(path, np.ones((4, 5), np.float32))
    with pytest.raises(DataFormatError) as e:
        task.check_gt(task.read_gt(path), path, (4, 6))
    assert path in str(e.value) and '(4, 5)' in str(e.value)


def test_depth_npy_with_pickled_objects_refused(tmp_path):
    path = str(tmp_path / 'obj.npy')
    np.save(path, np.array([{'a': 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataFormatError) as e:
        DepthTask('depth').read_gt(path)
    assert path in str(e.value)


# ------------------------------------------------------------------- edge
def test_edge_png(tmp_path):
    grey = np.array([[0, 255, 0], [0, 255, 0]], np.uint8)
    path = str(tmp_path / 'e.png')
    mmcv.imwrite(grey, path)
    np.testing.assert_array_equal(
        EdgeTask('edge').read_gt(path), [[0, 1, 0], [0, 1, 0]])


# --------------------------------------------------------- shared errors
@pytest.mark.parametrize(
    'task', [
        SEG,
        BinaryTask('sal'),
        NormalsTask('normals'),
        DepthTask('depth'),
        EdgeTask('edge'),
    ],
    ids=lambda t: type(t).__name__)
def test_garbage_and_missing_files(tmp_path, task):
    path = tmp_path / 'garbage.png'
    path.write_bytes(b'\x00\x01garbage bytes, not an image' * 10)
    with pytest.raises(DataFormatError) as e:
        task.read_gt(str(path))
    assert str(path) in str(e.value)
    missing = str(tmp_path / 'missing.png')
    with pytest.raises(FileNotFoundError) as e:
        task.read_gt(missing)
    assert missing in str(e.value)


def test_check_size():
    check_size(np.zeros((3, 4)), (3, 4, 3), 'f.png')
    with pytest.raises(DataFormatError) as e:
        check_size(np.zeros((3, 5)), (3, 4), 'some/f.png')
    assert 'some/f.png' in str(e.value)
    assert '(3, 5)' in str(e.value) and '(3, 4)' in str(e.value)


def test_gt_tensors():
    assert SEG.gt_to_tensor(np.zeros((2, 3), np.uint8)).dtype == torch.int64
    assert SEG.gt_to_tensor(np.zeros((2, 3), np.uint8)).shape == (1, 2, 3)
    n = NormalsTask('n').gt_to_tensor(np.zeros((2, 3, 3), np.float32))
    assert n.shape == (3, 2, 3) and n.dtype == torch.float32
    d = DepthTask('d').gt_to_tensor(np.zeros((2, 3), np.float32))
    assert d.shape == (1, 2, 3) and d.dtype == torch.float32
