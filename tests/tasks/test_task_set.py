"""Building tasks from configs, and the errors a config gets."""
import pytest

from mmpoly.registry import TASKS
from mmpoly.tasks import (BaseTask, DepthTask, SegmentationTask, TaskSet,
                          build_task, build_tasks, check_task_names)


def test_build_tasks_keeps_order_and_names():
    ts = build_tasks(
        dict(
            semseg=dict(type='SegmentationTask', num_classes=21),
            depth=dict(type='DepthTask', loss_weight=2.0),
            edge=dict(type='EdgeTask', max_dist=0.011)))
    assert ts.names == ('semseg', 'depth', 'edge')
    assert isinstance(ts['depth'], DepthTask)
    assert ts['depth'].loss_weight == 2.0 and ts['edge'].max_dist == 0.011
    assert ts['semseg'].gt_key == 'gt_semseg'
    assert ts['semseg'].pred_key == 'pred_semseg'
    assert build_tasks(ts) is ts
    assert ts.missing_delta_m_references() == ['semseg', 'depth', 'edge']


def test_every_registered_task_builds():
    """timm-style: every registered task type builds with its required
    arguments and answers the whole interface."""
    required = dict(SegmentationTask=dict(num_classes=3))
    import torch
    for name, cls in TASKS.module_dict.items():
        task = build_task('t', dict(type=name, **required.get(name, {})))
        assert isinstance(task, BaseTask) and task.out_channels >= 1
        assert task.primary_metric and isinstance(task.default_loss(), dict)
        gt = task.fake_gt(5, 6, torch.Generator().manual_seed(0))
        assert gt.shape[-2:] == (5, 6)
        logits = torch.randn(task.out_channels, 5, 6)
        pred = task.activate(logits)
        stats = task.stats(pred, gt)
        metrics = task.metrics(stats)
        assert task.primary_metric in metrics, name


@pytest.mark.parametrize('cfg,message', [
    (dict(x=dict(type='SegmentationTsk', num_classes=3)),
     "tasks.x: unknown task type 'SegmentationTsk'; did you mean "
     'SegmentationTask'),
    (dict(x=dict(num_classes=3)), 'tasks.x has no "type"'),
    (dict(x=dict(type='SegmentationTask')), 'tasks.x:.*num_classes'),
    (dict(x=dict(type='SegmentationTask', num_classes=0)),
     'tasks.x.num_classes must be a positive integer'),
    (dict(x=dict(type='SegmentationTask', num_classes=3, colour=1)),
     "tasks.x:.*'colour'"),
    (dict(x=dict(type='DepthTask', loss_weight=-1)),
     'tasks.x.loss_weight must be a non-negative number'),
    (dict(x=dict(type='DepthTask', delta_m_reference=0)),
     'tasks.x.delta_m_reference is 0'),
    (dict(x=dict(type='DepthTask', name='y')), 'tasks.x has name=.y.'),
    (dict(x='DepthTask'), 'tasks.x must be a task config dict'),
    ({
        'not-an-id': dict(type='DepthTask')
    }, 'must be an identifier'),
    (dict(), 'at least one task'),
    (('semseg', 'normals'), 'tasks must map task names to task configs'),
    (dict(x=dict(type='SegmentationTask', num_classes=3, class_names=['a'])),
     'tasks.x.class_names has 1 names but num_classes=3'),
    (dict(x=dict(type='SegmentationTask', num_classes=3, ignore_index=2)),
     'tasks.x.ignore_index=2 is a class id'),
    (dict(x=dict(type='EdgeTask', max_dist=2)), 'tasks.x.max_dist'),
])
def test_config_errors_name_the_task(cfg, message):
    with pytest.raises((ValueError, TypeError), match=message):
        build_tasks(cfg)


def test_class_names_from_file(tmp_path):
    path = tmp_path / 'names.txt'
    path.write_text('# provenance line\nbackground\nroad  # comment\ncar\n')
    task = SegmentationTask('s', 3, class_names=str(path))
    assert task.class_names == ('background', 'road', 'car')
    with pytest.raises(FileNotFoundError, match='tasks.s.class_names'):
        SegmentationTask('s', 3, class_names=str(tmp_path / 'none.txt'))


def test_task_set_errors():
    with pytest.raises(ValueError, match='twice'):
        TaskSet([DepthTask('d'), DepthTask('d')])
    with pytest.raises(KeyError, match="no task 'x'"):
        TaskSet([DepthTask('d')])['x']
    assert check_task_names(['a', 'b']) == ('a', 'b')
    with pytest.raises(ValueError, match='duplicates'):
        check_task_names(['a', 'a'])
