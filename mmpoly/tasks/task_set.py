"""The tasks of a model and data set, built from a config's ``tasks``."""
import difflib
import re
from collections import OrderedDict
from typing import Iterator, List, Mapping, Tuple, Union

from ..registry import TASKS
from .base_task import BaseTask

#: What a config's ``tasks`` must look like (for error messages).
TASKS_EXAMPLE = ("tasks = dict(semseg=dict(type='SegmentationTask', "
                 "num_classes=21, loss_weight=1.0), ...)")


class TaskSet(Mapping):
    """An ordered, immutable mapping of task name -> :class:`BaseTask`.

    The order is the config's; it fixes the order of per-task passes, of
    the heads and of the metrics. Each task's
    :meth:`~mmpoly.tasks.BaseTask.check_config` runs when the set is built.
    """

    def __init__(self, tasks) -> None:
        self._tasks = OrderedDict()
        for task in tasks:
            if not isinstance(task, BaseTask):
                raise TypeError(f'{task!r} is not a BaseTask')
            if task.name in self._tasks:
                raise ValueError(f'task {task.name!r} appears twice')
            task.check_config()
            self._tasks[task.name] = task
        if not self._tasks:
            raise ValueError('tasks must name at least one task; e.g. ' +
                             TASKS_EXAMPLE)

    def __getitem__(self, name: str) -> BaseTask:
        try:
            return self._tasks[name]
        except KeyError:
            raise KeyError(f'no task {name!r}; the tasks are '
                           f'{list(self._tasks)}') from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._tasks)

    def __len__(self) -> int:
        return len(self._tasks)

    @property
    def names(self) -> Tuple[str, ...]:
        """The task names, in order."""
        return tuple(self._tasks)

    def missing_delta_m_references(self) -> List[str]:
        """Names of the tasks without a ``delta_m_reference``."""
        return [
            n for n, t in self._tasks.items() if t.delta_m_reference is None
        ]

    def __repr__(self) -> str:
        return f'TaskSet({list(self._tasks.values())})'


def build_task(name: str, cfg: Union[dict, BaseTask]) -> BaseTask:
    """Build the task ``name`` from its config (``type`` + arguments).

    Raises:
        ValueError: naming ``tasks.<name>`` for an unknown type (with the
            closest registered names) or a malformed config.
    """
    if isinstance(cfg, BaseTask):
        if cfg.name != name:
            raise ValueError(f'tasks.{name} is a task named {cfg.name!r}')
        return cfg
    if not isinstance(cfg, Mapping):
        raise ValueError(f'tasks.{name} must be a task config dict with a '
                         f'"type", got {cfg!r}; e.g. {TASKS_EXAMPLE}')
    cfg = dict(cfg)
    if 'type' not in cfg:
        raise ValueError(f'tasks.{name} has no "type"; registered task '
                         f'types: {sorted(TASKS.module_dict)}')
    if cfg.setdefault('name', name) != name:
        raise ValueError(f'tasks.{name} has name={cfg["name"]!r}; the name '
                         'of a task is its key in tasks')
    task_type = cfg['type']
    if isinstance(task_type, str) and TASKS.get(task_type) is None:
        known = sorted(TASKS.module_dict)
        close = difflib.get_close_matches(task_type, known, n=3)
        hint = f'; did you mean {" or ".join(close)}?' if close else ''
        raise ValueError(f'tasks.{name}: unknown task type {task_type!r}'
                         f'{hint} Registered task types: {known} (a task '
                         'class of your own must be registered in '
                         'mmpoly.registry.TASKS and imported, e.g. with '
                         'custom_imports)')
    try:
        task = TASKS.build(cfg)
    except TypeError as e:
        msg = str(e).split(': ')[-1]  # without the registry's prefixes
        bad = re.search(r"unexpected keyword argument '(\w+)'", msg)
        if bad:
            msg = (f'{task_type} has no argument {bad.group(1)!r} (another '
                   'task type\'s?)')
        raise ValueError(f'tasks.{name}: {msg}') from e
    if not isinstance(task, BaseTask):
        raise TypeError(f'tasks.{name}: type {task_type!r} builds a '
                        f'{type(task).__name__}, not a BaseTask')
    return task


def build_tasks(cfg: Union[TaskSet, Mapping]) -> TaskSet:
    """A :class:`TaskSet` from a config's ``tasks`` (name -> task config).

    A :class:`TaskSet` is returned as it is.
    """
    if isinstance(cfg, TaskSet):
        return cfg
    if not isinstance(cfg, Mapping):
        raise ValueError('tasks must map task names to task configs, got '
                         f'{cfg!r}; e.g. {TASKS_EXAMPLE}')
    return TaskSet(build_task(name, c) for name, c in cfg.items())


def check_task_names(names, where: str = 'tasks') -> Tuple[str, ...]:
    """Validate a sequence of task names (for modules that only need the
    names, such as task-conditioned backbones): not empty, identifiers, no
    duplicates.

    Returns:
        The names as a tuple.
    """
    if isinstance(names, str):
        names = (names, )
    names = tuple(names)
    if not names:
        raise ValueError(f'{where} must name at least one task')
    bad = [n for n in names if not (isinstance(n, str) and n.isidentifier())]
    if bad:
        raise ValueError(f'{where}: task names must be identifiers, got '
                         f'{bad}')
    if len(set(names)) != len(names):
        raise ValueError(f'{where} has duplicates: {list(names)}')
    return names
