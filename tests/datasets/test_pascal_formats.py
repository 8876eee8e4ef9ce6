"""Decoders of the PASCAL-Context MT label formats, and loading a sample."""

import mmcv
import numpy as np
import pytest
from scipy.io import savemat

from mmpoly.datasets import GTFile
from mmpoly.datasets.pascal_formats import (decode_human_parts,
                                            decode_label_map_edges,
                                            decode_masked_normals,
                                            label_map_edges, read_human_parts,
                                            read_label_map)
from mmpoly.datasets.pascal_meta import (human_part_classes,
                                         human_part_mapping,
                                         normals_valid_classes,
                                         person_class_index, voc_classes)
from mmpoly.datasets.transforms import LoadMultiTaskAnnotations
from mmpoly.tasks import (BinaryTask, DataFormatError, EdgeTask, NormalsTask,
                          SegmentationTask, TaskSet)
from mmpoly.tasks.normals_task import encode_normals
from mmpoly.testing.toy_pascal import mat_struct

WALL, FLOOR, SKY, GRASS, TV = 440, 158, 360, 187, 427

# ------------------------------------------------------------------ helpers


def _obj(cls, mask, parts):
    return {
        'class':
        'person' if cls == 15 else f'voc{cls}',
        'class_ind':
        np.array([[cls]], np.uint8),
        'mask':
        mask.astype(np.uint8),
        'parts':
        mat_struct([
            dict(part_name=name, mask=m.astype(np.uint8)) for name, m in parts
        ], ('part_name', 'mask')),
    }


def _write_anno(path, objects):
    anno = np.empty((1, 1), dtype=[('imname', 'O'), ('objects', 'O')])
    anno[0, 0]['imname'] = 'x'
    anno[0, 0]['objects'] = mat_struct(objects,
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
NORMALS = NormalsTask('normals')


def _normals_file(tmp_path, rgb, label_map):
    path = _write_rgb_png(rgb, str(tmp_path / 'n.png'))
    lm = str(tmp_path / 'lm.mat')
    savemat(lm, {'LabelMap': label_map})
    return GTFile(path, decode_masked_normals, lm)


def test_masked_normals_hand_pixels(tmp_path):
    rgb = np.array([
        [[255, 128, 128], [54, 54, 201], [128, 128, 128]],
        [[128, 255, 128], [255, 255, 255], [255, 0, 0]],
    ], np.uint8)
    label_map = np.array([[WALL, FLOOR, WALL], [TV, SKY, GRASS]], np.uint16)
    f = _normals_file(tmp_path, rgb, label_map)
    n = decode_masked_normals(NORMALS, f, (2, 3), None)
    assert n.dtype == np.float32 and n.shape == (2, 3, 3)

    def expect(px):
        v = 2.0 * np.asarray(px, np.float64) / 255.0 - 1.0
        return v / np.linalg.norm(v)

    # (0, 0): wall, (1, 2/255 - 1...) -> renormalised
    np.testing.assert_allclose(n[0, 0], expect([255, 128, 128]), atol=1e-6)
    assert n[0, 0, 0] == pytest.approx(0.99998, abs=1e-4)
    # (0, 1): floor, (-1, -1, 1) / sqrt(3) in 8 bits
    np.testing.assert_allclose(n[0, 1], expect([54, 54, 201]), atol=1e-6)
    np.testing.assert_allclose(
        n[0, 1], np.array([-1, -1, 1]) / np.sqrt(3), atol=1e-2)
    # (0, 2): valid class but length 0.0068 < 0.5 -> no label
    np.testing.assert_array_equal(n[0, 2], 0)
    # (1, 0): tvmonitor is valid
    np.testing.assert_allclose(n[1, 0], expect([128, 255, 128]), atol=1e-6)
    # (1, 1), (1, 2): sky and grass are not normals-valid (and their
    # vectors, of length sqrt(3) and sqrt(2), are not checked)
    np.testing.assert_array_equal(n[1, 1], 0)
    np.testing.assert_array_equal(n[1, 2], 0)


def test_masked_normals_not_unit_refused(tmp_path):
    # a grey-scale image saved as RGB: (v, v, v) decodes to vectors of
    # length sqrt(3) |2 v / 255 - 1|, not unit normals
    levels = np.linspace(0, 255, 12, dtype=np.uint8).reshape(3, 4, 1)
    grey = np.repeat(levels, 3, axis=2)
    f = _normals_file(tmp_path, grey, np.full((3, 4), WALL, np.uint16))
    with pytest.raises(DataFormatError, match='not unit vectors') as e:
        decode_masked_normals(NORMALS, f, (3, 4), None)
    assert f.path in str(e.value)


def test_masked_normals_label_map_size_mismatch(tmp_path):
    f = _normals_file(tmp_path, np.full((4, 5, 3), 200, np.uint8),
                      np.full((4, 6), WALL, np.uint16))
    with pytest.raises(DataFormatError) as e:
        decode_masked_normals(NORMALS, f, (4, 5), None)
    assert f.aux_path in str(e.value)


def test_encode_normals_values():
    n = np.array([[[1, 0, 0], [0, -1, 0], [0, 0, 1]]], np.float32)
    rgb = encode_normals(n)
    assert rgb.dtype == np.uint8
    np.testing.assert_array_equal(
        rgb, [[[255, 128, 128], [128, 0, 128], [128, 128, 255]]])


# ------------------------------------------------------------------ edges
def test_label_map_edges_hand_case():
    """Two regions split by a vertical line: the Laplacian is non-zero on
    both sides of the boundary (columns 3 and 4); thinning keeps one line
    (Guo-Hall thinning also removes the band's end pixel on row 0)."""
    lm = np.zeros((6, 8), np.uint16)
    lm[:, 4:] = 7
    edges = label_map_edges(lm)
    expected = np.zeros((6, 8), np.uint8)
    expected[1:, 3] = 1
    assert edges.dtype == np.uint8
    np.testing.assert_array_equal(edges, expected)
    # a uniform label map has no edges
    assert label_map_edges(np.full((5, 5), 3, np.uint16)).sum() == 0


def test_label_map_edges_is_thinned_laplacian():
    """Equals the reference recipe: thin(|Laplacian(LabelMap)| > 0), with
    scikit-image's thinning."""
    import cv2
    from skimage.morphology import thin
    rng = np.random.default_rng(3)
    lm = np.zeros((40, 50), np.int32)
    for k in range(6):
        cv2.circle(lm, (int(rng.integers(50)), int(rng.integers(40))),
                   int(rng.integers(4, 15)), k + 1, -1)
    ref = thin(np.abs(cv2.Laplacian(lm.astype(np.float64), cv2.CV_64F)) > 0)
    np.testing.assert_array_equal(label_map_edges(lm), ref.astype(np.uint8))


def test_decode_label_map_edges(tmp_path):
    lm = np.zeros((6, 8), np.uint16)
    lm[:, 4:] = WALL
    path = str(tmp_path / 'lm.mat')
    savemat(path, {'LabelMap': lm})
    edge = EdgeTask('edge')
    out = decode_label_map_edges(edge, GTFile(path), (6, 8), None)
    np.testing.assert_array_equal(out, label_map_edges(lm))
    edge.check_gt(out, path, (6, 8))


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
    with pytest.raises(FileNotFoundError) as e:
        read_label_map(str(tmp_path / 'missing.mat'))
    assert 'missing.mat' in str(e.value)


# ----------------------------------- LoadMultiTaskAnnotations error paths
PASCAL_TASKS = TaskSet([
    SegmentationTask('semseg', 21),
    SegmentationTask('human_parts', 7),
    BinaryTask('sal'),
    NormalsTask('normals'),
    EdgeTask('edge'),
])


def _write_sample(tmp_path,
                  h=6,
                  w=8,
                  sem_shape=None,
                  sal_shape=None,
                  normals_shape=None):
    d = tmp_path
    sem = np.zeros(sem_shape or (h, w), np.uint8)
    sem[1:3, 1:4] = 15
    mmcv.imwrite(sem, str(d / 'sem.png'))
    sal = np.zeros(sal_shape or (h, w), np.uint8)
    sal[1:3, 1:4] = 255
    mmcv.imwrite(sal, str(d / 'sal.png'))
    n = np.zeros(normals_shape or (h, w), np.float32)[..., None].repeat(3, 2)
    n[..., 2] = 1
    _write_rgb_png(encode_normals(n), str(d / 'normals.png'))
    lm = np.full((h, w), WALL, np.uint16)
    lm[:, w // 2:] = FLOOR
    savemat(str(d / 'lm.mat'), {'LabelMap': lm})
    person = _obj(15, _box((h, w), 1, 3, 1, 4),
                  [('head', _box((h, w), 1, 2, 1, 4))])
    _write_anno(str(d / 'parts.mat'), [person])
    return dict(
        img_path=str(d / 'img.jpg'),
        ori_shape=(h, w),
        task_set=PASCAL_TASKS,
        gt_files=dict(
            semseg=GTFile(str(d / 'sem.png')),
            human_parts=GTFile(str(d / 'parts.mat'), decode_human_parts),
            sal=GTFile(str(d / 'sal.png')),
            normals=GTFile(
                str(d / 'normals.png'), decode_masked_normals,
                str(d / 'lm.mat')),
            edge=GTFile(str(d / 'lm.mat'), decode_label_map_edges)),
        seg_fields=[])


def test_load_annotations_ok(tmp_path):
    results = LoadMultiTaskAnnotations()(_write_sample(tmp_path))
    assert results['seg_fields'] == [
        'gt_semseg', 'gt_human_parts', 'gt_sal', 'gt_normals', 'gt_edge'
    ]
    assert results['gt_semseg'][1, 1] == 15
    assert results['gt_human_parts'][1, 1] == 1
    assert results['gt_human_parts'][2, 1] == 0
    assert results['gt_sal'][1, 1] == 1 and results['gt_sal'][0, 0] == 0
    np.testing.assert_allclose(
        results['gt_normals'][0, 0], [0, 0, 1], atol=0.01)
    assert results['gt_edge'].sum() == 5  # the wall / floor boundary
    assert results['gt_edge'].dtype == np.uint8


def test_load_annotations_task_subset_and_missing_file_entry(tmp_path):
    results = _write_sample(tmp_path)
    results['task_set'] = TaskSet([BinaryTask('sal')])
    out = LoadMultiTaskAnnotations()(dict(results))
    assert 'gt_sal' in out and 'gt_semseg' not in out
    del results['gt_files']['sal']
    with pytest.raises(KeyError, match="task 'sal'"):
        LoadMultiTaskAnnotations()(results)
    with pytest.raises(KeyError, match='task_set'):
        LoadMultiTaskAnnotations()(dict(ori_shape=(2, 2), img_path='x.jpg'))


@pytest.mark.parametrize('which,task', [
    ('sem_shape', 'semseg'),
    ('sal_shape', 'sal'),
])
def test_load_annotations_size_mismatch(tmp_path, which, task):
    results = _write_sample(tmp_path, **{which: (5, 8)})
    with pytest.raises(DataFormatError) as e:
        LoadMultiTaskAnnotations()(results)
    assert results['gt_files'][task].path in str(e.value)


def test_load_annotations_class_id_out_of_range(tmp_path):
    results = _write_sample(tmp_path)
    sem = np.zeros((6, 8), np.uint8)
    sem[0, 0] = 21
    mmcv.imwrite(sem, results['gt_files']['semseg'].path)
    with pytest.raises(DataFormatError) as e:
        LoadMultiTaskAnnotations()(results)
    msg = str(e.value)
    assert results['gt_files']['semseg'].path in msg
    assert "'semseg'" in msg and '[21]' in msg and '0..20' in msg


def test_load_annotations_normals_size_mismatch_names_normals_file(tmp_path):
    """A normals PNG whose size differs from the image (the LabelMap is
    right): the error must name the normals file (BENCHMARK.md: 'say which
    file and why')."""
    results = _write_sample(tmp_path, normals_shape=(6, 7))
    results['task_set'] = TaskSet([NormalsTask('normals')])
    with pytest.raises(DataFormatError) as e:
        LoadMultiTaskAnnotations()(results)
    assert results['gt_files']['normals'].path in str(e.value)


def test_load_annotations_label_map_size_mismatch(tmp_path):
    results = _write_sample(tmp_path)
    results['task_set'] = TaskSet([NormalsTask('normals')])
    savemat(results['gt_files']['normals'].aux_path,
            {'LabelMap': np.full((6, 9), WALL, np.uint16)})
    with pytest.raises(DataFormatError) as e:
        LoadMultiTaskAnnotations()(results)
    assert results['gt_files']['normals'].aux_path in str(e.value)
