"""NYUDv2MTDataset on generated data of both packagings."""
import os
import os.path as osp
import shutil

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmpoly.datasets import NYUDv2MTDataset
from mmpoly.tasks import DataFormatError, build_tasks
from mmpoly.testing import generate_toy_nyud_mt

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TASKS = Config.fromfile(
    osp.join(REPO, 'configs/_base_/datasets/nyud_v2_mt.py')).tasks.to_dict()
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadMultiTaskAnnotations'),
    dict(type='PackMultiTaskInputs'),
]


@pytest.fixture(scope='module')
def roots(tmp_path_factory):
    """The same scenes (same seed) in both layouts."""
    out = {}
    for layout in ('nyud_mt', 'invpt'):
        root = str(tmp_path_factory.mktemp(layout))
        generate_toy_nyud_mt(
            root,
            layout,
            num_train=6,
            num_val=3,
            size=64,
            seed=3,
            overwrite=True)
        out[layout] = root
    return out


@pytest.fixture
def copy(roots, tmp_path):
    dst = str(tmp_path / 'NYUD_MT')
    shutil.copytree(roots['nyud_mt'], dst)
    return dst


def dataset(root, split='val', tasks=None, **kw):
    return NYUDv2MTDataset(
        root, tasks=tasks or TASKS, split=split, pipeline=PIPELINE, **kw)


@pytest.mark.parametrize('layout,image,normals,edge', [
    ('nyud_mt', '.jpg', '.npy', '.npy'),
    ('invpt', '.png', '.png', '.png'),
])
def test_both_layouts_detected(roots, layout, image, normals, edge):
    ds = dataset(roots[layout])
    assert ds.layout == layout and len(ds) == 3
    info = ds.get_data_info(0)
    assert info['img_path'].endswith(image)
    assert info['gt_files']['normals'].path.endswith(normals)
    assert info['gt_files']['edge'].path.endswith(edge)
    assert info['gt_files']['depth'].path.endswith('.npy')
    assert len(ds.metainfo['semseg_classes']) == 40
    assert ds.metainfo['semseg_classes'][0] == 'wall'
    assert len(dataset(roots[layout], split='train')) == 6


def test_both_layouts_decode_to_the_same_ground_truth(roots):
    a = dataset(roots['nyud_mt'])
    b = dataset(roots['invpt'])
    for i in range(len(a)):
        sa, sb = a[i]['data_samples'], b[i]['data_samples']
        for task in ('semseg', 'depth', 'edge'):
            assert torch.equal(sa.get_gt(task).data, sb.get_gt(task).data)
        na, nb = sa.get_gt('normals').data, sb.get_gt('normals').data
        assert (na - nb).abs().max() < 2.0 / 255 + 1e-6  # 8-bit PNG
        # JPEG (quality 95, noisy textures) and PNG images of the same scene
        diff = (a[i]['inputs'].float() - b[i]['inputs'].float()).abs()
        assert diff.mean() < 8


def test_packed_ground_truth(roots):
    ds = dataset(roots['nyud_mt'], split='train')
    s = ds[1]['data_samples']
    h, w = s.ori_shape
    assert (h, w) == (48, 64)
    sem = s.get_gt('semseg').data
    assert sem.shape == (1, h, w) and sem.dtype == torch.int64
    png = mmcv.imread(
        ds.get_data_info(1)['gt_files']['semseg'].path,
        'unchanged').astype(np.int64)
    expected = np.where(png == 0, 255, png - 1)
    np.testing.assert_array_equal(sem[0].numpy(), expected)
    assert (sem == 255).any()  # some void boundary pixels
    depth = s.get_gt('depth').data
    assert depth.dtype == torch.float32 and depth.shape == (1, h, w)
    assert depth.max() > 1
    normals = s.get_gt('normals').data
    length = normals.norm(dim=0)
    torch.testing.assert_close(length[length > 0],
                               torch.ones(int((length > 0).sum())))
    edge = s.get_gt('edge').data
    assert set(edge.unique().tolist()) == {0, 1}
    # the floor (class 1) faces up: normals consistent with the geometry
    floor = sem[0] == 1
    assert floor.any()
    torch.testing.assert_close(
        normals[:, floor].mean(1),
        torch.tensor([0.0, 1.0, 0.0]),
        atol=1e-4,
        rtol=0)


def test_task_subset_and_explicit_layout(roots):
    tasks = {k: TASKS[k] for k in ('depth', 'edge')}
    ds = dataset(roots['invpt'], tasks=tasks, layout='invpt')
    assert set(ds[0]['data_samples'].gt_tasks()) == {'depth', 'edge'}
    with pytest.raises(FileNotFoundError) as e:  # wrong layout named
        dataset(roots['nyud_mt'], layout='invpt')
    assert 'images' in str(e.value) and '.png' in str(e.value)
    with pytest.raises(ValueError, match='layout must be'):
        dataset(roots['nyud_mt'], layout='nyud')
    with pytest.raises(ValueError, match="cannot load task 'sal'"):
        dataset(roots['nyud_mt'], tasks=dict(sal=dict(type='BinaryTask')))


def test_missing_npy_named(copy):
    img_id = open(osp.join(copy, 'gt_sets', 'val.txt')).read().split()[1]
    path = osp.join(copy, 'depth', img_id + '.npy')
    os.remove(path)
    with pytest.raises(FileNotFoundError) as e:
        dataset(copy)
    assert path in str(e.value)
    dataset(copy, tasks={'semseg': TASKS['semseg']})  # not needed


def _first_file(ds, task, idx=0):
    return ds.get_data_info(idx)['gt_files'][task].path


@pytest.mark.parametrize('task,bad,message', [
    ('depth', np.full((48, 64), np.nan, np.float32), 'NaN'),
    ('depth', np.ones((40, 64), np.float32), r'\(40, 64\)'),
    ('depth', np.ones((48, 64, 2), np.float32), r'\(H, W\)'),
    ('depth', np.array(['a', 'b']), 'numeric'),
    ('normals', np.ones((48, 64), np.float32), r'\(H, W, 3\)'),
    ('edge', np.ones((48, 64, 3), np.float32), 'single-channel'),
])
def test_bad_arrays_named(copy, task, bad, message):
    ds = dataset(copy)
    path = _first_file(ds, task)
    np.save(path, bad)
    with pytest.raises(DataFormatError, match=message) as e:
        ds[0]
    assert path in str(e.value)


def test_class_id_out_of_range_named(copy):
    ds = dataset(copy)
    path = _first_file(ds, 'semseg')
    png = mmcv.imread(path, 'unchanged')
    png[0, 0] = 41  # class 40 of a 40-class task
    mmcv.imwrite(png, path)
    with pytest.raises(DataFormatError) as e:
        ds[0]
    assert path in str(e.value) and '[41]' in str(e.value)
    assert 'max value 41' in str(e.value) and '1..40' in str(e.value)


def test_missing_root_names_the_layout(tmp_path):
    root = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError) as e:
        dataset(root)
    msg = str(e.value)
    assert root in msg and 'gt_sets' in msg and 'nyud_mt' in msg
    assert 'generate_toy_nyud_mt.py' in msg
    with pytest.raises(FileNotFoundError):
        NYUDv2MTDataset.check_data_root(root, tasks=TASKS)
    with pytest.raises(ValueError, match="cannot load task 'x'"):
        NYUDv2MTDataset.check_data_root(
            root, tasks=dict(x=dict(type='DepthTask')))


def test_generator_is_deterministic_and_checks_args(tmp_path, roots):
    again = str(tmp_path / 'again')
    generate_toy_nyud_mt(again, 'nyud_mt', 6, 3, 64, seed=3)
    for sub in ('depth', 'normals', 'edge'):
        for name in os.listdir(osp.join(again, sub)):
            np.testing.assert_array_equal(
                np.load(osp.join(again, sub, name)),
                np.load(osp.join(roots['nyud_mt'], sub, name)))
    with pytest.raises(ValueError, match='layout'):
        generate_toy_nyud_mt(str(tmp_path / 'x'), 'other')
    with pytest.raises(FileExistsError):
        generate_toy_nyud_mt(again, 'nyud_mt', 1, 1, 64)
    assert build_tasks(TASKS)['edge'].max_dist == 0.011
