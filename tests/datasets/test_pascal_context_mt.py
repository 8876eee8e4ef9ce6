"""PascalContextMTDataset on the generated toy data set."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmpoly_test_utils import TASKS as ALL
from mmpoly_test_utils import task_cfgs

from mmpoly.datasets import PascalContextMTDataset
from mmpoly.structures import MultiTaskDataSample
from mmpoly.tasks import DataFormatError

EDGE = dict(type='EdgeTask')


def dataset(root, tasks=ALL, **kw):
    """The data set with some of the PASCAL tasks (config dicts)."""
    cfgs = tasks if isinstance(tasks, dict) else task_cfgs(tasks)
    return PascalContextMTDataset(root, tasks=cfgs, **kw)


PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadMultiTaskAnnotations'),
    dict(type='PackMultiTaskInputs'),
]


def _ids(root, split):
    with open(osp.join(root, 'ImageSets', 'Context', f'{split}.txt')) as f:
        return [line.strip() for line in f if line.strip()]


@pytest.fixture
def toy_copy(toy_root, tmp_path):
    dst = str(tmp_path / 'PASCAL_MT')
    shutil.copytree(toy_root, dst)
    return dst


def test_lengths(toy_root):
    assert len(dataset(toy_root, split='train')) == 8
    assert len(dataset(toy_root, split='val')) == 4


def test_data_list_paths(toy_root):
    ds = dataset(toy_root, split='val')
    ids = _ids(toy_root, 'val')
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == ids
    for i, img_id in enumerate(ids):
        info = ds.get_data_info(i)
        assert info['img_path'] == osp.join(toy_root, 'JPEGImages',
                                            img_id + '.jpg')
        files = info['gt_files']
        assert files['human_parts'].path == osp.join(toy_root, 'human_parts',
                                                     img_id + '.mat')
        assert files['sal'].path == osp.join(toy_root, 'sal_distill',
                                             img_id + '.png')
        assert files['normals'].path == osp.join(toy_root, 'normals_distill',
                                                 img_id + '.png')
        assert files['normals'].aux_path == osp.join(toy_root,
                                                     'pascal-context',
                                                     'trainval',
                                                     img_id + '.mat')
        assert files['sal'].decoder is None  # the task reads it
        assert files['human_parts'].decoder is not None  # PASCAL-Part
        assert tuple(info['tasks']) == ALL
        assert info['task_set'] is ds.task_set
        for name in ALL:
            assert osp.isfile(files[name].path), name
    assert tuple(ds.metainfo['tasks']) == ALL
    assert len(ds.metainfo['semseg_classes']) == 21
    assert len(ds.metainfo['human_parts_classes']) == 7


def test_semseg_fallback_location(toy_root):
    ds = dataset(toy_root, ['semseg'], split='train')
    n_fallback = 0
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        voc = osp.join(toy_root, 'semseg', 'VOC12', info['img_id'] + '.png')
        ctx = osp.join(toy_root, 'semseg', 'pascal-context',
                       info['img_id'] + '.png')
        if osp.isfile(voc):
            assert info['gt_files']['semseg'].path == voc
        else:
            assert info['gt_files']['semseg'].path == ctx
            n_fallback += 1
    assert n_fallback >= 1  # the toy set puts every 5th id there


def test_task_subset(toy_root):
    ds = dataset(toy_root, ['sal'], split='val')
    info = ds.get_data_info(0)
    assert list(info['gt_files']) == ['sal']
    assert ds.metainfo['tasks'] == ('sal', )


def test_task_subset_does_not_need_other_files(toy_copy):
    shutil.rmtree(osp.join(toy_copy, 'normals_distill'))
    shutil.rmtree(osp.join(toy_copy, 'human_parts'))
    ds = dataset(toy_copy, ['semseg', 'sal'], split='val')
    assert len(ds) == 4


def test_missing_data_root(tmp_path):
    root = str(tmp_path / 'nowhere' / 'PASCAL_MT')
    with pytest.raises(FileNotFoundError) as e:
        dataset(root, split='train')
    assert root in str(e.value)
    assert 'JPEGImages' in str(e.value)  # shows the expected layout


def test_missing_split_file(toy_root):
    with pytest.raises(FileNotFoundError) as e:
        dataset(toy_root, split='test')
    assert osp.join(toy_root, 'ImageSets', 'Context',
                    'test.txt') in str(e.value)


def test_deleted_label_file(toy_copy):
    img_id = _ids(toy_copy, 'val')[1]
    path = osp.join(toy_copy, 'sal_distill', img_id + '.png')
    os.remove(path)
    with pytest.raises(FileNotFoundError) as e:
        dataset(toy_copy, split='val')
    assert path in str(e.value)
    # not needed without the task
    dataset(toy_copy, ['semseg'], split='val')


def test_deleted_semseg_names_both_locations(toy_copy):
    img_id = _ids(toy_copy, 'val')[0]
    for sub in ('VOC12', 'pascal-context'):
        p = osp.join(toy_copy, 'semseg', sub, img_id + '.png')
        if osp.isfile(p):
            os.remove(p)
    with pytest.raises(FileNotFoundError) as e:
        dataset(toy_copy, ['semseg'], split='val')
    msg = str(e.value)
    assert osp.join(toy_copy, 'semseg', 'VOC12', img_id + '.png') in msg
    assert 'pascal-context/' + img_id in msg


def test_deleted_label_map_for_normals(toy_copy):
    img_id = _ids(toy_copy, 'train')[2]
    path = osp.join(toy_copy, 'pascal-context', 'trainval', img_id + '.mat')
    os.remove(path)
    with pytest.raises(FileNotFoundError) as e:
        dataset(toy_copy, ['normals'], split='train')
    assert path in str(e.value)


def test_id_listed_without_files(toy_copy):
    split = osp.join(toy_copy, 'ImageSets', 'Context', 'val.txt')
    with open(split, 'a') as f:
        f.write('2099_123456\n')
    with pytest.raises(FileNotFoundError) as e:
        dataset(toy_copy, split='val')
    assert osp.join(toy_copy, 'JPEGImages', '2099_123456.jpg') in str(e.value)


def test_duplicate_ids(toy_copy):
    split = osp.join(toy_copy, 'ImageSets', 'Context', 'val.txt')
    ids = _ids(toy_copy, 'val')
    with open(split, 'w') as f:
        f.write('\n'.join(ids + [ids[2]]) + '\n')
    with pytest.raises(ValueError) as e:
        dataset(toy_copy, split='val')
    assert ids[2] in str(e.value)
    assert split in str(e.value)


def test_empty_split(toy_copy):
    split = osp.join(toy_copy, 'ImageSets', 'Context', 'val.txt')
    open(split, 'w').close()
    with pytest.raises(ValueError, match='lists no image'):
        dataset(toy_copy, split='val')


def test_a_task_the_dataset_cannot_load(toy_root):
    with pytest.raises(ValueError) as e:
        dataset(toy_root, dict(depth=dict(type='DepthTask')), split='val')
    msg = str(e.value)
    assert "cannot load task 'depth' (DepthTask)" in msg
    assert "'edge'" in msg and 'tasks.depth.ann_dir' in msg
    # a known name declared as another kind of task
    with pytest.raises(ValueError) as e:
        dataset(toy_root, dict(semseg=dict(type='DepthTask')), split='val')
    assert 'stores \'semseg\' as a SegmentationTask' in str(e.value)
    assert 'tasks.semseg is a DepthTask' in str(e.value)
    with pytest.raises(ValueError, match='needs tasks'):
        PascalContextMTDataset(toy_root, split='val')


def test_edge_task_from_the_label_map(toy_root):
    ds = dataset(toy_root, dict(edge=EDGE), split='val', pipeline=PIPELINE)
    s = ds[0]['data_samples']
    edge = s.get_gt('edge').data
    assert edge.shape[0] == 1 and edge.dtype == torch.int64
    assert set(edge.unique().tolist()) == {0, 1}
    from mmpoly.datasets.pascal_formats import label_map_edges, read_label_map
    lm = read_label_map(ds.get_data_info(0)['gt_files']['edge'].path)
    np.testing.assert_array_equal(edge[0].numpy(), label_map_edges(lm))


def test_task_from_an_extra_folder(toy_copy):
    """A task the data set does not know, read from ann_dir by the task."""
    import mmcv
    os.makedirs(osp.join(toy_copy, 'coarse'))
    for img_id in _ids(toy_copy, 'val'):
        img = mmcv.imread(osp.join(toy_copy, 'JPEGImages', img_id + '.jpg'))
        mmcv.imwrite((np.arange(img.shape[1]) * 3 // img.shape[1]).astype(
            np.uint8)[None].repeat(img.shape[0], 0),
                     osp.join(toy_copy, 'coarse', img_id + '.png'))
    tasks = dict(
        coarse=dict(type='SegmentationTask', num_classes=3, ann_dir='coarse'))
    ds = dataset(toy_copy, tasks, split='val', pipeline=PIPELINE)
    gt = ds[1]['data_samples'].get_gt('coarse').data
    assert set(gt.unique().tolist()) == {0, 1, 2}
    # too few classes: the class id error names the file
    tasks['coarse']['num_classes'] = 2
    ds = dataset(toy_copy, tasks, split='val', pipeline=PIPELINE)
    with pytest.raises(DataFormatError) as e:
        ds[1]
    assert 'coarse' in str(e.value) and '[2]' in str(e.value)
    os.remove(osp.join(toy_copy, 'coarse', _ids(toy_copy, 'val')[0] + '.png'))
    with pytest.raises(FileNotFoundError, match='coarse'):
        dataset(toy_copy, tasks, split='val')


def test_ann_file_absolute(toy_copy, tmp_path):
    ids = _ids(toy_copy, 'val')[:2]
    ann = tmp_path / 'mini.txt'
    ann.write_text('\n'.join(ids) + '\n')
    ds = dataset(toy_copy, ann_file=str(ann))
    assert len(ds) == 2
    assert ds.get_data_info(1)['img_id'] == ids[1]


def test_check_data_root(toy_root, tmp_path):
    PascalContextMTDataset.check_data_root(toy_root, split='train')
    PascalContextMTDataset.check_data_root(
        toy_root, split='val', tasks=task_cfgs(),
        pipeline=[])  # extra keys ignored
    missing = str(tmp_path / 'no_root')
    with pytest.raises(FileNotFoundError) as e:
        PascalContextMTDataset.check_data_root(missing)
    assert missing in str(e.value)
    with pytest.raises(FileNotFoundError) as e:
        PascalContextMTDataset.check_data_root(toy_root, split='trainval')
    assert osp.join(toy_root, 'ImageSets', 'Context',
                    'trainval.txt') in str(e.value)
    with pytest.raises(FileNotFoundError) as e:
        PascalContextMTDataset.check_data_root(
            toy_root, ann_file=str(tmp_path / 'x.txt'))
    assert str(tmp_path / 'x.txt') in str(e.value)


def test_pipeline_loading(toy_root):
    ds = dataset(toy_root, split='train', pipeline=PIPELINE)
    for idx in (0, 4):
        out = ds[idx]
        img = out['inputs']
        s = out['data_samples']
        assert isinstance(s, MultiTaskDataSample)
        assert img.dtype == torch.uint8 and img.ndim == 3
        assert img.shape[0] == 3
        h, w = img.shape[1:]
        assert 48 <= h <= 64 and 48 <= w <= 64
        assert s.img_shape == (h, w)
        assert s.ori_shape == (h, w)
        assert s.img_id == ds.get_data_info(idx)['img_id']
        assert set(s.gt_tasks()) == set(ALL)
        for task in ('semseg', 'human_parts', 'sal'):
            d = s.get_gt(task).data
            assert d.shape == (1, h, w), task
            assert d.dtype == torch.int64, task
        sem = s.gt_semseg.data
        assert set(sem.unique().tolist()) <= set(range(21)) | {255}
        parts = s.gt_human_parts.data
        assert set(parts.unique().tolist()) <= set(range(7)) | {255}
        assert set(s.gt_sal.data.unique().tolist()) <= {0, 1}
        n = s.gt_normals.data
        assert n.shape == (3, h, w) and n.dtype == torch.float32
        length = n.norm(dim=0)
        labelled = length > 0
        assert labelled.any()
        assert torch.allclose(length[labelled], torch.ones(()), atol=1e-5)


def test_pipeline_gt_matches_files(toy_root):
    """The packed semseg / sal maps equal the PNGs on disk."""
    import mmcv
    ds = dataset(toy_root, split='val', pipeline=PIPELINE)
    info = ds.get_data_info(1)
    s = ds[1]['data_samples']
    sem = mmcv.imread(info['gt_files']['semseg'].path, flag='unchanged')
    np.testing.assert_array_equal(s.gt_semseg.data[0].numpy(), sem)
    sal = mmcv.imread(info['gt_files']['sal'].path, flag='grayscale')
    np.testing.assert_array_equal(s.gt_sal.data[0].numpy(),
                                  (sal > 127).astype(np.int64))


def test_corrupt_label_file_named_on_load(toy_copy):
    ds = dataset(toy_copy, split='val', pipeline=PIPELINE)
    path = ds.get_data_info(2)['gt_files']['sal'].path
    with open(path, 'wb') as f:
        f.write(b'garbage, not a PNG' * 8)
    with pytest.raises(DataFormatError) as e:
        ds[2]
    assert path in str(e.value)


def test_label_size_mismatch_named_on_load(toy_copy):
    import mmcv
    ds = dataset(toy_copy, split='val', pipeline=PIPELINE)
    path = ds.get_data_info(3)['gt_files']['semseg'].path
    sem = mmcv.imread(path, flag='unchanged')
    mmcv.imwrite(sem[:-3], path)
    with pytest.raises(DataFormatError) as e:
        ds[3]
    assert path in str(e.value)
