"""The config's top-level tasks reach every component that takes them."""
import copy

import pytest
from mmengine.config import Config
from mmpoly_test_utils import task_cfgs

from mmpoly.engine import apply_config_tasks


def _cfg(**extra):
    ds = dict(type='PascalContextMTDataset', data_root='x')
    cfg = dict(
        tasks=task_cfgs(['semseg', 'sal']),
        model=dict(type='MultiTaskSegmentor', backbone=dict(type='X')),
        train_dataloader=dict(
            dataset=dict(type='ConcatDataset', datasets=[dict(ds),
                                                         dict(ds)])),
        val_dataloader=dict(
            dataset=dict(type='RepeatDataset', times=2, dataset=dict(ds))),
        test_dataloader=dict(dataset=dict(ds)),
        val_evaluator=[dict(type='MultiTaskMetric'),
                       dict(type='IoUMetric')],
        test_evaluator=dict(type='MultiTaskMetric'))
    cfg.update(extra)
    return Config(cfg)


def test_tasks_reach_model_wrapped_datasets_and_metrics():
    cfg = apply_config_tasks(_cfg())
    want = cfg.tasks
    assert cfg.model.tasks == want
    for ds in cfg.train_dataloader.dataset.datasets:
        assert ds.tasks == want
    assert cfg.val_dataloader.dataset.dataset.tasks == want
    assert 'tasks' not in cfg.val_dataloader.dataset  # the wrapper
    assert cfg.test_dataloader.dataset.tasks == want
    assert cfg.val_evaluator[0].tasks == want
    assert 'tasks' not in cfg.val_evaluator[1]  # not a multi-task metric
    assert cfg.test_evaluator.tasks == want
    # idempotent
    assert apply_config_tasks(cfg).model.tasks == want


def test_no_tasks_nothing_happens():
    cfg = Config({k: v for k, v in _cfg().to_dict().items() if k != 'tasks'})
    assert 'tasks' not in apply_config_tasks(cfg).model


def test_component_with_other_tasks_is_an_error():
    cfg = _cfg()
    cfg.test_dataloader.dataset.tasks = task_cfgs(['semseg'])
    with pytest.raises(ValueError, match='test_dataloader.dataset.tasks'):
        apply_config_tasks(cfg)


def test_delta_m_asked_for_early():
    cfg = _cfg(default_hooks=dict(checkpoint=dict(save_best='delta_m')))
    apply_config_tasks(copy.deepcopy(cfg))  # every task has a reference
    cfg.tasks.sal.delta_m_reference = None
    with pytest.raises(ValueError, match='tasks.sal.delta_m_reference'):
        apply_config_tasks(cfg)
    cfg = _cfg(test_evaluator=dict(type='MultiTaskMetric', delta_m=True))
    cfg.tasks.semseg.pop('delta_m_reference')
    with pytest.raises(ValueError, match='test_evaluator.delta_m=True'):
        apply_config_tasks(cfg)
    cfg.tasks.semseg.type = 'NoSuchTask'
    with pytest.raises(ValueError, match="unknown task type 'NoSuchTask'"):
        apply_config_tasks(cfg)
