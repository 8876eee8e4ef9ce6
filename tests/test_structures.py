"""TaskSpec look-ups, task-list validation and MultiTaskDataSample."""
import pytest
import torch
from mmengine.structures import PixelData

from mmpoly.structures import (BINARY, IGNORE_INDEX, NORMALS, SEGMENTATION,
                               TASK_SPECS, MultiTaskDataSample, check_tasks,
                               get_task_spec, task_of_gt_key)


@pytest.mark.parametrize('task,kind,out,weight,higher,primary', [
    ('semseg', SEGMENTATION, 21, 1.0, True, 'mIoU'),
    ('human_parts', SEGMENTATION, 7, 2.0, True, 'mIoU'),
    ('sal', BINARY, 1, 5.0, True, 'mIoU'),
    ('normals', NORMALS, 3, 10.0, False, 'mean'),
])
def test_task_spec_values(task, kind, out, weight, higher, primary):
    spec = get_task_spec(task)
    assert spec.name == task
    assert spec.kind == kind
    assert spec.out_channels == out
    assert spec.loss_weight == weight
    assert spec.higher_is_better is higher
    assert spec.primary_metric == primary
    assert spec.gt_key == f'gt_{task}'
    assert spec.pred_key == f'pred_{task}'


def test_task_specs_registry_is_the_four_pascal_tasks():
    assert set(TASK_SPECS) == {'semseg', 'human_parts', 'sal', 'normals'}


def test_pad_values_and_label_map_kind():
    assert IGNORE_INDEX == 255
    assert get_task_spec('semseg').pad_value == 255
    assert get_task_spec('human_parts').pad_value == 255
    assert get_task_spec('sal').pad_value == 255
    assert get_task_spec('normals').pad_value == 0.0
    assert get_task_spec('semseg').is_label_map
    assert get_task_spec('sal').is_label_map
    assert not get_task_spec('normals').is_label_map


def test_get_task_spec_unknown_names_known_tasks():
    with pytest.raises(KeyError) as e:
        get_task_spec('depth')
    msg = str(e.value)
    assert "'depth'" in msg
    for t in ('semseg', 'human_parts', 'sal', 'normals'):
        assert t in msg


def test_task_of_gt_key():
    assert task_of_gt_key('gt_semseg').name == 'semseg'
    assert task_of_gt_key('gt_normals').name == 'normals'
    assert task_of_gt_key('gt_depth') is None
    assert task_of_gt_key('pred_semseg') is None
    assert task_of_gt_key('semseg') is None
    assert task_of_gt_key('gt_seg_map') is None


def test_check_tasks_ok():
    assert check_tasks(['semseg', 'sal']) == ('semseg', 'sal')
    assert check_tasks('normals') == ('normals', )
    assert check_tasks(('human_parts', )) == ('human_parts', )


def test_check_tasks_unknown():
    with pytest.raises(KeyError, match='edges'):
        check_tasks(['semseg', 'edges'])


def test_check_tasks_duplicates():
    with pytest.raises(ValueError, match='duplicates') as e:
        check_tasks(['semseg', 'sal', 'semseg'], where='my_tasks')
    assert 'my_tasks' in str(e.value)


def test_check_tasks_empty():
    with pytest.raises(ValueError, match='at least one task') as e:
        check_tasks([], where='heads')
    assert 'heads' in str(e.value)


def test_data_sample_gt_and_pred():
    s = MultiTaskDataSample(metainfo=dict(img_path='/x/2008_000001.jpg'))
    gt = PixelData(data=torch.zeros(1, 2, 2, dtype=torch.long))
    s.gt_semseg = gt
    s.pred_sal = PixelData(data=torch.full((1, 2, 2), 0.3))
    assert s.gt_tasks() == ['semseg']
    assert s.get_gt('semseg') is gt
    assert torch.allclose(s.get_pred('sal').data, torch.full((1, 2, 2), 0.3))


def test_data_sample_get_gt_missing_message():
    s = MultiTaskDataSample(metainfo=dict(img_path='/x/2008_000001.jpg'))
    s.gt_semseg = PixelData(data=torch.zeros(1, 2, 2, dtype=torch.long))
    with pytest.raises(KeyError) as e:
        s.get_gt('normals')
    msg = str(e.value)
    assert '/x/2008_000001.jpg' in msg
    assert "'normals'" in msg
    assert 'gt_semseg' in msg  # lists the fields it has
    with pytest.raises(KeyError, match='unknown_task|Unknown task'):
        s.get_gt('unknown_task')
    with pytest.raises(KeyError, match="'sal'"):
        s.get_pred('sal')
