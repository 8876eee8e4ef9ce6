"""Decoders and encoders of the PASCAL-Context MT label formats."""

import mmcv
import numpy as np
import pytest
from scipy.io import savemat

from mmpoly.datasets.pascal_formats import (DataFormatError, check_shape,
                                            encode_normals, read_class_map,
                                            read_human_parts, read_label_map,
                                            read_normals, read_saliency,
                                            write_index_png, write_normals_png,
                                            write_probability_png)
from mmpoly.datasets.pascal_meta import (human_part_classes,
                                         human_part_mapping,
                                         normals_valid_classes,
                                         person_class_index, voc_classes)
from mmpoly.datasets.transforms import LoadMultiTaskAnnotations

WALL, FLOOR, SKY, GRASS, TV = 440, 158, 360, 187, 427


# ------------------------------------------------------------------ helpers
def _struct(rows, fields):
    """Exactly like mmpoly.datasets.toy_pascal._struct."""
    if not rows:
        return np.zeros((0, 0))
    arr = np.empty((1, len(rows)), dtype=[(f, 'O') for f in fields])
    for i, row in enumerate(rows):
        for f in fields:
            arr[0, i][f] = row[f]
    return arr


def _obj(cls, mask, parts):
    return {
        'class':
        'person' if cls == 15 else f'voc{cls}',
        'class_ind':
        np.array([[cls]], np.uint8),
        'mask':
        mask.astype(np.uint8),
        'parts':
        _struct([
            dict(part_name=name, mask=m.astype(np.uint8)) for name, m in parts
        ], ('part_name', 'mask')),
    }


def _write_anno(path, objects):
    anno = np.empty((1, 1), dtype=[('imname', 'O'), ('objects', 'O')])
    anno[0, 0]['imname'] = 'x'
    anno[0, 0]['objects'] = _struct(objects,
                                    ('class', 'class_ind', 'mask', 'parts'))
    savemat(path, {'anno': anno})
    return path


def _box(shape, y0, y1, x0, x1):
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


def _write_rgb_png(rgb, path):
    mmcv.imwrite(np.ascontiguousarray(rgb[..., ::-1]), path)  # cv2 is BGR
    return path


# ------------------------------------------------------------------- meta
def test_meta_lists():
    assert len(voc_classes()) == 21
    assert voc_classes()[0] == 'background'
    assert voc_classes()[15] == 'person'
    assert human_part_classes() == ('background', 'head', 'torso', 'upper_arm',
                                    'lower_arm', 'upper_leg', 'lower_leg')
    assert person_class_index() == 15
    valid = normals_valid_classes()
    assert {WALL, FLOOR, TV} <= valid
    assert SKY not in valid and GRASS not in valid


# ------------------------------------------------------------ human parts
def test_human_parts_mapping(tmp_path):
    shape = (8, 10)
    parts = [
        ('hair', _box(shape, 0, 1, 0, 10)),
        ('head', _box(shape, 1, 2, 0, 3)),
        ('neck', _box(shape, 1, 2, 3, 6)),
        ('ruarm', _box(shape, 2, 3, 0, 2)),
        ('lhand', _box(shape, 2, 3, 2, 4)),
        ('luleg', _box(shape, 3, 4, 0, 4)),
        ('rfoot', _box(shape, 4, 5, 0, 4)),
        ('torso', _box(shape, 5, 6, 0, 4)),
    ]
    person = _obj(15, np.ones(shape), parts)
    # a non-person object with "parts" that would otherwise map
    car = _obj(7, _box(shape, 6, 8, 0, 10),
               [('head', _box(shape, 6, 8, 0, 10))])
    path = _write_anno(str(tmp_path / 'a.mat'), [car, person])
    out = read_human_parts(path, shape)
    assert out.dtype == np.uint8 and out.shape == shape
    expected = np.zeros(shape, np.uint8)
    expected[0, :] = 1
    expected[1, 0:3] = 1
    expected[1, 3:6] = 2
    expected[2, 0:2] = 3
    expected[2, 2:4] = 4
    expected[3, 0:4] = 5
    expected[4, 0:4] = 6
    expected[5, 0:4] = 2
    np.testing.assert_array_equal(out, expected)


def test_human_parts_mapping_json_complete():
    m = human_part_mapping()
    for name in ('head', 'hair', 'lear', 'rear', 'leye', 'reye', 'lebrow',
                 'rebrow', 'nose', 'mouth'):
        assert m[name] == 1
    assert m['torso'] == 2 and m['neck'] == 2
    assert m['luarm'] == m['ruarm'] == 3
    for name in ('llarm', 'rlarm', 'lhand', 'rhand'):
        assert m[name] == 4
    assert m['luleg'] == m['ruleg'] == 5
    for name in ('llleg', 'rlleg', 'lfoot', 'rfoot'):
        assert m[name] == 6


def test_human_parts_two_persons(tmp_path):
    shape = (4, 6)
    p1 = _obj(15, _box(shape, 0, 4, 0, 3), [('head', _box(shape, 0, 2, 0, 3))])
    p2 = _obj(15, _box(shape, 0, 4, 3, 6),
              [('rlleg', _box(shape, 2, 4, 3, 6))])
    path = _write_anno(str(tmp_path / 'b.mat'), [p1, p2])
    out = read_human_parts(path, shape)
    expected = np.zeros(shape, np.uint8)
    expected[0:2, 0:3] = 1
    expected[2:4, 3:6] = 6
    np.testing.assert_array_equal(out, expected)


def test_human_parts_no_person_is_ignore(tmp_path):
    shape = (5, 7)
    car = _obj(7, _box(shape, 0, 3, 0, 3), [])
    path = _write_anno(str(tmp_path / 'c.mat'), [car])
    out = read_human_parts(path, shape)
    assert out.shape == shape
    assert (out == 255).all()


def test_human_parts_person_without_parts_is_ignore(tmp_path):
    shape = (5, 7)
    person = _obj(15, _box(shape, 0, 3, 0, 3), [])
    dog = _obj(12, _box(shape, 3, 5, 0, 3), [])
    path = _write_anno(str(tmp_path / 'd.mat'), [person, dog])
    assert (read_human_parts(path, shape) == 255).all()


def test_human_parts_no_objects_is_ignore(tmp_path):
    path = _write_anno(str(tmp_path / 'e.mat'), [])
    assert (read_human_parts(path, (3, 4)) == 255).all()


def test_human_parts_unknown_part(tmp_path):
    shape = (4, 4)
    person = _obj(15, np.ones(shape), [('tail', _box(shape, 0, 2, 0, 2))])
    path = _write_anno(str(tmp_path / 'f.mat'), [person])
    with pytest.raises(DataFormatError) as e:
        read_human_parts(path, shape)
    assert path in str(e.value)
    assert "'tail'" in str(e.value)


def test_human_parts_mask_size_mismatch(tmp_path):
    person = _obj(15, np.ones((4, 4)), [('head', _box((4, 4), 0, 2, 0, 2))])
    path = _write_anno(str(tmp_path / 'g.mat'), [person])
    with pytest.raises(DataFormatError) as e:
        read_human_parts(path, (5, 4))
    assert path in str(e.value)


def test_human_parts_not_a_pascal_part_file(tmp_path):
    path = str(tmp_path / 'h.mat')
    savemat(path, {'something': np.zeros((2, 2))})
    with pytest.raises(DataFormatError, match='anno') as e:
        read_human_parts(path, (2, 2))
    assert path in str(e.value)
    garbage = tmp_path / 'i.mat'
    garbage.write_bytes(b'this is not a MATLAB file at all' * 4)
    with pytest.raises(DataFormatError) as e:
        read_human_parts(str(garbage), (2, 2))
    assert str(garbage) in str(e.value)


# ---------------------------------------------------------------- normals
def test_read_normals_hand_pixels(tmp_path):
    rgb = np.array([
        [[255, 128, 128], [0, 0, 255], [128, 128, 128]],
        [[0, 255, 128], [255, 255, 255], [255, 0, 0]],
    ], np.uint8)
    label_map = np.array([[WALL, FLOOR, WALL], [TV, SKY, GRASS]], np.uint16)
    path = _write_rgb_png(rgb, str(tmp_path / 'n.png'))
    n = read_normals(path, label_map)
    assert n.dtype == np.float32 and n.shape == (2, 3, 3)

    def expect(px):
        v = 2.0 * np.asarray(px, np.float64) / 255.0 - 1.0
        return v / np.linalg.norm(v)

    # (0, 0): wall, (1, 2/255 - 1...) -> renormalised
    np.testing.assert_allclose(n[0, 0], expect([255, 128, 128]), atol=1e-6)
    assert n[0, 0, 0] == pytest.approx(0.99998, abs=1e-4)
    # (0, 1): floor, (-1, -1, 1) / sqrt(3)
    np.testing.assert_allclose(
        n[0, 1], np.array([-1, -1, 1]) / np.sqrt(3), atol=1e-6)
    # (0, 2): valid class but length 0.0068 < 0.5 -> no label
    np.testing.assert_array_equal(n[0, 2], 0)
    # (1, 0): tvmonitor is valid
    np.testing.assert_allclose(n[1, 0], expect([0, 255, 128]), atol=1e-6)
    # (1, 1), (1, 2): sky and grass are not normals-valid
    np.testing.assert_array_equal(n[1, 1], 0)
    np.testing.assert_array_equal(n[1, 2], 0)


def test_encode_normals_values():
    n = np.array([[[1, 0, 0], [0, -1, 0], [0, 0, 1]]], np.float32)
    rgb = encode_normals(n)
    assert rgb.dtype == np.uint8
    np.testing.assert_array_equal(
        rgb, [[[255, 128, 128], [128, 0, 128], [128, 128, 255]]])


def test_normals_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    v = rng.normal(size=(6, 5, 3)).astype(np.float32)
    v /= np.linalg.norm(v, axis=2, keepdims=True)
    path = str(tmp_path / 'sub' / 'rt.png')
    write_normals_png(v, path)
    png = mmcv.imread(path, channel_order='rgb')
    np.testing.assert_array_equal(png, encode_normals(v))
    back = read_normals(path, np.full((6, 5), WALL, np.uint16))
    # quantisation: one 8-bit step is 2/255 per component
    np.testing.assert_allclose(back, v, atol=2.0 / 255)
    cos = (back * v).sum(axis=2)
    assert np.degrees(np.arccos(np.clip(cos, -1, 1))).max() < 1.0
    np.testing.assert_allclose(np.linalg.norm(back, axis=2), 1.0, atol=1e-5)


def test_read_normals_label_map_size_mismatch(tmp_path):
    path = _write_rgb_png(
        np.full((4, 5, 3), 200, np.uint8), str(tmp_path / 'n.png'))
    with pytest.raises(DataFormatError):
        read_normals(
            path, np.full((4, 6), WALL, np.uint16), label_map_path='lm.mat')


# --------------------------------------------------------------- saliency
def test_read_saliency_threshold(tmp_path):
    grey = np.array([[0, 127, 128, 255], [100, 200, 128, 1]], np.uint8)
    path = str(tmp_path / 's.png')
    mmcv.imwrite(grey, path)
    out = read_saliency(path)
    assert out.dtype == np.uint8
    # 127/255 = 0.498 (not salient), 128/255 = 0.502 (salient)
    np.testing.assert_array_equal(out, [[0, 0, 1, 1], [0, 1, 1, 0]])


# -------------------------------------------------------------- class map
def test_read_class_map_ok(tmp_path):
    arr = np.array([[0, 5, 20], [255, 1, 0]], np.uint8)
    path = str(tmp_path / 'c.png')
    write_index_png(arr, path)
    out = read_class_map(path, 21)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, arr)


def test_read_class_map_palette_png(tmp_path):
    from PIL import Image
    arr = np.array([[0, 3, 15], [255, 1, 0]], np.uint8)
    img = Image.fromarray(arr, mode='P')
    img.putpalette(
        list(np.random.default_rng(0).integers(0, 255, 768, dtype=np.uint8)))
    path = str(tmp_path / 'p.png')
    img.save(path)
    np.testing.assert_array_equal(read_class_map(path, 21), arr)


def test_read_class_map_out_of_range(tmp_path):
    arr = np.array([[0, 21, 30], [255, 30, 7]], np.uint8)
    path = str(tmp_path / 'bad.png')
    write_index_png(arr, path)
    with pytest.raises(DataFormatError) as e:
        read_class_map(path, 21)
    msg = str(e.value)
    assert path in msg
    assert '[21, 30]' in msg
    # the same file is fine for a task with more classes
    read_class_map(path, 31)


def test_read_class_map_rgb_rejected(tmp_path):
    path = _write_rgb_png(
        np.zeros((3, 3, 3), np.uint8), str(tmp_path / 'rgb.png'))
    with pytest.raises(DataFormatError) as e:
        read_class_map(path, 21)
    assert path in str(e.value)


@pytest.mark.parametrize('reader', [
    lambda p: read_class_map(p, 21),
    read_saliency,
    lambda p: read_normals(p, np.zeros((2, 2), np.uint16)),
])
def test_garbage_image(tmp_path, reader):
    path = tmp_path / 'garbage.png'
    path.write_bytes(b'\x00\x01garbage bytes, not an image' * 10)
    with pytest.raises(DataFormatError) as e:
        reader(str(path))
    assert str(path) in str(e.value)


def test_missing_file(tmp_path):
    path = str(tmp_path / 'missing.png')
    with pytest.raises(FileNotFoundError) as e:
        read_saliency(path)
    assert path in str(e.value)
    with pytest.raises(FileNotFoundError) as e:
        read_label_map(str(tmp_path / 'missing.mat'))
    assert 'missing.mat' in str(e.value)


def test_read_label_map(tmp_path):
    lm = np.array([[WALL, 0], [SKY, 459]], np.uint16)
    path = str(tmp_path / 'lm.mat')
    savemat(path, {'LabelMap': lm})
    np.testing.assert_array_equal(read_label_map(path), lm)
    other = str(tmp_path / 'other.mat')
    savemat(other, {'Labels': lm})
    with pytest.raises(DataFormatError) as e:
        read_label_map(other)
    assert other in str(e.value) and 'LabelMap' in str(e.value)


def test_check_shape():
    check_shape(np.zeros((3, 4)), (3, 4, 3), 'f.png')
    with pytest.raises(DataFormatError) as e:
        check_shape(np.zeros((3, 5)), (3, 4), 'some/f.png')
    assert 'some/f.png' in str(e.value)
    assert '(3, 5)' in str(e.value) and '(3, 4)' in str(e.value)


def test_write_probability_png(tmp_path):
    prob = np.array([[0.0, 0.5, 1.0], [0.2, 1.3, -0.1]], np.float32)
    path = str(tmp_path / 'p' / 'prob.png')
    write_probability_png(prob, path)
    back = mmcv.imread(path, flag='unchanged')
    np.testing.assert_array_equal(back, [[0, 128, 255], [51, 255, 0]])


# ----------------------------------- LoadMultiTaskAnnotations error paths
def _write_sample(tmp_path,
                  h=6,
                  w=8,
                  sem_shape=None,
                  sal_shape=None,
                  normals_shape=None):
    d = tmp_path
    sem = np.zeros(sem_shape or (h, w), np.uint8)
    sem[1:3, 1:4] = 15
    write_index_png(sem, str(d / 'sem.png'))
    sal = np.zeros(sal_shape or (h, w), np.uint8)
    sal[1:3, 1:4] = 255
    mmcv.imwrite(sal, str(d / 'sal.png'))
    n = np.zeros(normals_shape or (h, w), np.float32)[..., None].repeat(3, 2)
    n[..., 2] = 1
    write_normals_png(n, str(d / 'normals.png'))
    savemat(str(d / 'lm.mat'), {'LabelMap': np.full((h, w), WALL, np.uint16)})
    person = _obj(15, _box((h, w), 1, 3, 1, 4),
                  [('head', _box((h, w), 1, 2, 1, 4))])
    _write_anno(str(d / 'parts.mat'), [person])
    return dict(
        img_path=str(d / 'img.jpg'),
        ori_shape=(h, w),
        tasks=('semseg', 'human_parts', 'sal', 'normals'),
        semseg_path=str(d / 'sem.png'),
        human_parts_path=str(d / 'parts.mat'),
        sal_path=str(d / 'sal.png'),
        normals_path=str(d / 'normals.png'),
        label_map_path=str(d / 'lm.mat'),
        seg_fields=[])


def test_load_annotations_ok(tmp_path):
    results = LoadMultiTaskAnnotations()(_write_sample(tmp_path))
    assert results['seg_fields'] == [
        'gt_semseg', 'gt_human_parts', 'gt_sal', 'gt_normals'
    ]
    assert results['gt_semseg'][1, 1] == 15
    assert results['gt_human_parts'][1, 1] == 1
    assert results['gt_human_parts'][2, 1] == 0
    assert results['gt_sal'][1, 1] == 1 and results['gt_sal'][0, 0] == 0
    np.testing.assert_allclose(
        results['gt_normals'][0, 0], [0, 0, 1], atol=0.01)


def test_load_annotations_subset_and_missing_key(tmp_path):
    results = _write_sample(tmp_path)
    out = LoadMultiTaskAnnotations(tasks=['sal'])(dict(results))
    assert 'gt_sal' in out and 'gt_semseg' not in out
    del results['sal_path']
    with pytest.raises(KeyError, match='sal_path'):
        LoadMultiTaskAnnotations(tasks=['sal'])(results)


@pytest.mark.parametrize('which,key', [
    ('sem_shape', 'semseg_path'),
    ('sal_shape', 'sal_path'),
])
def test_load_annotations_size_mismatch(tmp_path, which, key):
    results = _write_sample(tmp_path, **{which: (5, 8)})
    with pytest.raises(DataFormatError) as e:
        LoadMultiTaskAnnotations()(results)
    assert results[key] in str(e.value)


def test_load_annotations_normals_size_mismatch_names_normals_file(tmp_path):
    """A normals PNG whose size differs from the image (the LabelMap is
    right): the error must name the normals file (BENCHMARK.md: 'say which
    file and why')."""
    results = _write_sample(tmp_path, normals_shape=(6, 7))
    with pytest.raises(DataFormatError) as e:
        LoadMultiTaskAnnotations(tasks=['normals'])(results)
    assert results['normals_path'] in str(e.value)


def test_load_annotations_label_map_size_mismatch(tmp_path):
    results = _write_sample(tmp_path)
    savemat(results['label_map_path'],
            {'LabelMap': np.full((6, 9), WALL, np.uint16)})
    with pytest.raises(DataFormatError) as e:
        LoadMultiTaskAnnotations(tasks=['normals'])(results)
    assert results['label_map_path'] in str(e.value)
