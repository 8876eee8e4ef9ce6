"""What mmpoly knows about each dense prediction task.

Every component that treats tasks differently (loading, geometric transforms,
padding, losses, post-processing, metrics, Δm) reads the task's
:class:`TaskSpec` from here instead of hard-coding task names.
"""
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

#: The kinds of prediction a task can be.
SEGMENTATION = 'segmentation'  # per-pixel class index, ignore 255
BINARY = 'binary'  # per-pixel {0, 1} with a probability output, ignore 255
NORMALS = 'normals'  # per-pixel unit 3-vector, zero vector = no label

IGNORE_INDEX = 255


@dataclass(frozen=True)
class TaskSpec:
    """Static description of one dense prediction task.

    Args:
        name: Task name used in configs, data samples and metric keys.
        kind: One of ``'segmentation'``, ``'binary'``, ``'normals'``.
        out_channels: Number of channels the decode head predicts.
        loss_weight: Default weight of the task's loss in the total loss
            (the reference protocol's weights).
        higher_is_better: Direction of the task's primary metric in Δm.
        primary_metric: Key (without the task prefix) of the metric that
            enters Δm.
    """
    name: str
    kind: str
    out_channels: int
    loss_weight: float
    higher_is_better: bool
    primary_metric: str

    @property
    def gt_key(self) -> str:
        """Key of the ground-truth map in pipeline results and samples."""
        return f'gt_{self.name}'

    @property
    def pred_key(self) -> str:
        """Key of the prediction in data samples."""
        return f'pred_{self.name}'

    @property
    def pad_value(self) -> float:
        """Value used to pad the ground-truth map (means 'no label')."""
        return 0.0 if self.kind == NORMALS else IGNORE_INDEX

    @property
    def is_label_map(self) -> bool:
        """Whether the ground truth is an integer map (resized 'nearest')."""
        return self.kind in (SEGMENTATION, BINARY)


TASK_SPECS: Dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec('semseg', SEGMENTATION, 21, 1.0, True, 'mIoU'),
        TaskSpec('human_parts', SEGMENTATION, 7, 2.0, True, 'mIoU'),
        TaskSpec('sal', BINARY, 1, 5.0, True, 'mIoU'),
        TaskSpec('normals', NORMALS, 3, 10.0, False, 'mean'),
    )
}


def get_task_spec(task: str) -> TaskSpec:
    """Return the :class:`TaskSpec` of ``task``.

    Raises:
        KeyError: naming the unknown task and the known ones.
    """
    try:
        return TASK_SPECS[task]
    except KeyError:
        raise KeyError(f'Unknown task {task!r}; known tasks are '
                       f'{sorted(TASK_SPECS)}') from None


def check_tasks(tasks: Sequence[str], where: str = 'tasks') -> Tuple[str, ...]:
    """Validate a task list: known names, no duplicates, not empty.

    Args:
        tasks: Task names.
        where: Name of the argument, for the error message.

    Returns:
        The tasks as a tuple.
    """
    if isinstance(tasks, str):
        tasks = (tasks, )
    tasks = tuple(tasks)
    if not tasks:
        raise ValueError(f'{where} must name at least one task')
    for t in tasks:
        get_task_spec(t)
    if len(set(tasks)) != len(tasks):
        raise ValueError(f'{where} has duplicates: {list(tasks)}')
    return tasks


def task_of_gt_key(key: str) -> Optional[TaskSpec]:
    """Return the spec whose ``gt_key`` is ``key``, or None."""
    if key.startswith('gt_'):
        return TASK_SPECS.get(key[3:])
    return None
