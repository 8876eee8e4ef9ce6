"""Giving a config's top-level ``tasks`` to every component that takes it.

A config declares its tasks once::

    tasks = dict(
        semseg=dict(type='SegmentationTask', num_classes=21, loss_weight=1.0,
                    delta_m_reference=67.21),
        normals=dict(type='NormalsTask', loss_weight=10.0), ...)

and inherits and extends them like any other variable (a child config's
``tasks = dict(edge=dict(type='EdgeTask'))`` adds a task). The model, the
data sets of every dataloader (also inside dataset wrappers), the
evaluators and the visualizer take ``tasks`` as an argument;
:func:`apply_config_tasks` copies the top-level ``tasks`` into each of them,
so the task list, the loss weights and the Δm references are written in one
place only.
"""
import copy
import inspect
from typing import Iterator, Optional

from mmengine.config import Config, ConfigDict
from mmseg.registry import DATASETS, METRICS, MODELS, VISUALIZERS

from ..tasks import build_tasks


def _takes_tasks(cfg, registry) -> bool:
    cls = cfg.get('type') if isinstance(cfg, dict) else None
    if isinstance(cls, str):
        cls = registry.get(cls)
    if not inspect.isclass(cls):
        return False
    return 'tasks' in inspect.signature(cls).parameters


def _dataset_cfgs(cfg) -> Iterator[dict]:
    """Data set configs of a dataloader's ``dataset``, through wrappers."""
    if not isinstance(cfg, dict):
        return
    if _takes_tasks(cfg, DATASETS):
        yield cfg
        return
    for key in ('dataset', 'datasets'):
        sub = cfg.get(key)
        for s in (sub if isinstance(sub, (list, tuple)) else [sub]):
            yield from _dataset_cfgs(s)


def _targets(cfg: Config) -> Iterator[tuple]:
    """(where, config dict) of every component that takes ``tasks``."""
    model = cfg.get('model')
    if isinstance(model, dict) and _takes_tasks(model, MODELS):
        yield 'model', model
    for phase in ('train', 'val', 'test'):
        loader = cfg.get(f'{phase}_dataloader')
        if isinstance(loader, dict):
            for ds in _dataset_cfgs(loader.get('dataset')):
                yield f'{phase}_dataloader.dataset', ds
    visualizer = cfg.get('visualizer')
    if isinstance(visualizer, dict) and _takes_tasks(visualizer, VISUALIZERS):
        yield 'visualizer', visualizer
    for phase in ('val', 'test'):
        evaluator = cfg.get(f'{phase}_evaluator')
        metrics = evaluator if isinstance(evaluator,
                                          (list, tuple)) else [evaluator]
        if isinstance(evaluator, dict) and 'metrics' in evaluator:
            metrics = evaluator['metrics']
            metrics = metrics if isinstance(metrics, list) else [metrics]
        for m in metrics:
            if isinstance(m, dict) and _takes_tasks(m, METRICS):
                yield f'{phase}_evaluator', m


def _plain(value):
    if isinstance(value, ConfigDict):
        return value.to_dict()
    return value


def apply_config_tasks(cfg: Config) -> Config:
    """Copy ``cfg.tasks`` into the model, data sets and metrics, in place.

    A component that already names its own ``tasks`` keeps them only if
    they are the same. Also checks, before anything is built, that every
    task builds and that Δm can be computed when checkpoints are selected
    by it (``default_hooks.checkpoint.save_best='delta_m'``).

    Args:
        cfg: A loaded config; nothing happens without a top-level
            ``tasks``.

    Returns:
        ``cfg``.

    Raises:
        ValueError: naming the task or the key that is wrong.
    """
    tasks = cfg.get('tasks')
    if tasks is None:
        return cfg
    task_set = build_tasks(tasks)  # every task builds, or a clear error
    plain = _plain(tasks)
    for where, target in _targets(cfg):
        given = target.get('tasks')
        if given is not None and _plain(given) != plain:
            raise ValueError(
                f'{where}.tasks differ from the config\'s tasks: declare '
                'the tasks once, in the top-level `tasks`')
        target['tasks'] = copy.deepcopy(plain)
        if target.get('delta_m') and task_set.missing_delta_m_references():
            raise ValueError(_delta_m_needs(f'{where}.delta_m=True', task_set))
    _check_save_best(cfg, task_set)
    return cfg


def _delta_m_needs(what: str, task_set) -> str:
    missing = task_set.missing_delta_m_references()
    return (f'{what} asks for Δm, but ' +
            ', '.join(f'tasks.{t}.delta_m_reference' for t in missing) +
            ' is not set (set it, or do not ask for Δm)')


def _check_save_best(cfg: Config, task_set) -> None:
    hook: Optional[dict] = (cfg.get('default_hooks') or {}).get('checkpoint')
    save_best = (hook or {}).get('save_best')
    keys = save_best if isinstance(save_best, (list, tuple)) else [save_best]
    if 'delta_m' in keys and task_set.missing_delta_m_references():
        raise ValueError(
            _delta_m_needs("default_hooks.checkpoint.save_best='delta_m'",
                           task_set))
    for key in keys:
        task = key.split('/', 1)[0] if isinstance(key, str) else None
        if task and '/' in key and task not in task_set:
            raise ValueError(
                f'default_hooks.checkpoint.save_best={key!r} names task '
                f'{task!r}, which is not one of the tasks '
                f'{list(task_set.names)}')
