"""PascalContextMTDataset on the generated toy data set."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch

from mmpoly.datasets import PascalContextMTDataset
from mmpoly.structures import MultiTaskDataSample

ALL = ('semseg', 'human_parts', 'sal', 'normals')
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
    assert len(PascalContextMTDataset(toy_root, split='train')) == 8
    assert len(PascalContextMTDataset(toy_root, split='val')) == 4


def test_data_list_paths(toy_root):
    ds = PascalContextMTDataset(toy_root, split='val')
    ids = _ids(toy_root, 'val')
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == ids
    for i, img_id in enumerate(ids):
        info = ds.get_data_info(i)
        assert info['img_path'] == osp.join(toy_root, 'JPEGImages',
                                            img_id + '.jpg')
        assert info['human_parts_path'] == osp.join(toy_root, 'human_parts',
                                                    img_id + '.mat')
        assert info['sal_path'] == osp.join(toy_root, 'sal_distill',
                                            img_id + '.png')
        assert info['normals_path'] == osp.join(toy_root, 'normals_distill',
                                                img_id + '.png')
        assert info['label_map_path'] == osp.join(toy_root, 'pascal-context',
                                                  'trainval', img_id + '.mat')
        assert osp.isfile(info['semseg_path'])
        assert tuple(info['tasks']) == ALL
        for key in ('img_path', 'human_parts_path', 'sal_path', 'normals_path',
                    'label_map_path'):
            assert osp.isfile(info[key]), key
    assert tuple(ds.metainfo['tasks']) == ALL
    assert len(ds.metainfo['semseg_classes']) == 21
    assert len(ds.metainfo['human_parts_classes']) == 7


def test_semseg_fallback_location(toy_root):
    ds = PascalContextMTDataset(toy_root, split='train', tasks=['semseg'])
    n_fallback = 0
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        voc = osp.join(toy_root, 'semseg', 'VOC12', info['img_id'] + '.png')
        ctx = osp.join(toy_root, 'semseg', 'pascal-context',
                       info['img_id'] + '.png')
        if osp.isfile(voc):
            assert info['semseg_path'] == voc
        else:
            assert info['semseg_path'] == ctx
            n_fallback += 1
    assert n_fallback >= 1  # the toy set puts every 5th id there


def test_task_subset(toy_root):
    ds = PascalContextMTDataset(toy_root, split='val', tasks=('sal', ))
    info = ds.get_data_info(0)
    assert 'sal_path' in info
    for key in ('semseg_path', 'human_parts_path', 'normals_path',
                'label_map_path'):
        assert key not in info
    assert ds.metainfo['tasks'] == ('sal', )


def test_task_subset_does_not_need_other_files(toy_copy):
    shutil.rmtree(osp.join(toy_copy, 'normals_distill'))
    shutil.rmtree(osp.join(toy_copy, 'human_parts'))
    ds = PascalContextMTDataset(toy_copy, split='val', tasks=('semseg', 'sal'))
    assert len(ds) == 4


def test_missing_data_root(tmp_path):
    root = str(tmp_path / 'nowhere' / 'PASCAL_MT')
    with pytest.raises(FileNotFoundError) as e:
        PascalContextMTDataset(root, split='train')
    assert root in str(e.value)
    assert 'JPEGImages' in str(e.value)  # shows the expected layout


def test_missing_split_file(toy_root):
    with pytest.raises(FileNotFoundError) as e:
        PascalContextMTDataset(toy_root, split='test')
    assert osp.join(toy_root, 'ImageSets', 'Context',
                    'test.txt') in str(e.value)


def test_deleted_label_file(toy_copy):
    img_id = _ids(toy_copy, 'val')[1]
    path = osp.join(toy_copy, 'sal_distill', img_id + '.png')
    os.remove(path)
    with pytest.raises(FileNotFoundError) as e:
        PascalContextMTDataset(toy_copy, split='val')
    assert path in str(e.value)
    # not needed without the task
    PascalContextMTDataset(toy_copy, split='val', tasks=['semseg'])


def test_deleted_semseg_names_both_locations(toy_copy):
    img_id = _ids(toy_copy, 'val')[0]
    for sub in ('VOC12', 'pascal-context'):
        p = osp.join(toy_copy, 'semseg', sub, img_id + '.png')
        if osp.isfile(p):
            os.remove(p)
    with pytest.raises(FileNotFoundError) as e:
        PascalContextMTDataset(toy_copy, split='val', tasks=['semseg'])
    msg = str(e.value)
    assert osp.join(toy_copy, 'semseg', 'VOC12', img_id + '.png') in msg
    assert 'pascal-context/' + img_id in msg


def test_deleted_label_map_for_normals(toy_copy):
    img_id = _ids(toy_copy, 'train')[2]
    path = osp.join(toy_copy, 'pascal-context', 'trainval', img_id + '.mat')
    os.remove(path)
    with pytest.raises(FileNotFoundError) as e:
        PascalContextMTDataset(toy_copy, split='train', tasks=['normals'])
    assert path in str(e.value)


def test_id_listed_without_files(toy_copy):
    split = osp.join(toy_copy, 'ImageSets', 'Context', 'val.txt')
    with open(split, 'a') as f:
        f.write('2099_123456\n')
    with pytest.raises(FileNotFoundError) as e:
        PascalContextMTDataset(toy_copy, split='val')
    assert osp.join(toy_copy, 'JPEGImages', '2099_123456.jpg') in str(e.value)


def test_duplicate_ids(toy_copy):
    split = osp.join(toy_copy, 'ImageSets', 'Context', 'val.txt')
    ids = _ids(toy_copy, 'val')
    with open(split, 'w') as f:
        f.write('\n'.join(ids + [ids[2]]) + '\n')
    with pytest.raises(ValueError) as e:
        PascalContextMTDataset(toy_copy, split='val')
    assert ids[2] in str(e.value)
    assert split in str(e.value)


def test_empty_split(toy_copy):
    split = osp.join(toy_copy, 'ImageSets', 'Context', 'val.txt')
    open(split, 'w').close()
    with pytest.raises(ValueError, match='lists no image'):
        PascalContextMTDataset(toy_copy, split='val')


def test_unsupported_task(toy_root):
    with pytest.raises(KeyError, match='depth'):
        PascalContextMTDataset(toy_root, split='val', tasks=['depth'])
    with pytest.raises(ValueError, match='duplicates'):
        PascalContextMTDataset(toy_root, split='val', tasks=['sal', 'sal'])


def test_ann_file_absolute(toy_copy, tmp_path):
    ids = _ids(toy_copy, 'val')[:2]
    ann = tmp_path / 'mini.txt'
    ann.write_text('\n'.join(ids) + '\n')
    ds = PascalContextMTDataset(toy_copy, ann_file=str(ann))
    assert len(ds) == 2
    assert ds.get_data_info(1)['img_id'] == ids[1]


def test_check_data_root(toy_root, tmp_path):
    PascalContextMTDataset.check_data_root(toy_root, split='train')
    PascalContextMTDataset.check_data_root(
        toy_root, split='val', tasks=ALL, pipeline=[])  # extra keys ignored
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
    ds = PascalContextMTDataset(toy_root, split='train', pipeline=PIPELINE)
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
    ds = PascalContextMTDataset(toy_root, split='val', pipeline=PIPELINE)
    info = ds.get_data_info(1)
    s = ds[1]['data_samples']
    sem = mmcv.imread(info['semseg_path'], flag='unchanged')
    np.testing.assert_array_equal(s.gt_semseg.data[0].numpy(), sem)
    sal = mmcv.imread(info['sal_path'], flag='grayscale')
    np.testing.assert_array_equal(s.gt_sal.data[0].numpy(),
                                  (sal > 127).astype(np.int64))


def test_corrupt_label_file_named_on_load(toy_copy):
    from mmpoly.datasets.pascal_formats import DataFormatError
    ds = PascalContextMTDataset(toy_copy, split='val', pipeline=PIPELINE)
    path = ds.get_data_info(2)['sal_path']
    with open(path, 'wb') as f:
        f.write(b'garbage, not a PNG' * 8)
    with pytest.raises(DataFormatError) as e:
        ds[2]
    assert path in str(e.value)


def test_label_size_mismatch_named_on_load(toy_copy):
    import mmcv
    from mmpoly.datasets.pascal_formats import DataFormatError
    ds = PascalContextMTDataset(toy_copy, split='val', pipeline=PIPELINE)
    path = ds.get_data_info(3)['semseg_path']
    sem = mmcv.imread(path, flag='unchanged')
    mmcv.imwrite(sem[:-3], path)
    with pytest.raises(DataFormatError) as e:
        ds[3]
    assert path in str(e.value)
