"""The tasks of a sample, as the pipeline's transforms see them."""
from ...tasks import TaskSet


def task_set_of(results: dict, transform: str) -> TaskSet:
    """The sample's :class:`~mmpoly.tasks.TaskSet` (``results['task_set']``,
    set by mmpoly's multi-task data sets), or an error naming
    ``transform``."""
    tasks = results.get('task_set')
    if not isinstance(tasks, TaskSet):
        raise KeyError(
            f'{transform} needs results["task_set"], which mmpoly\'s '
            'multi-task data sets (e.g. PascalContextMTDataset) add to every '
            f'sample ({results.get("img_path", "sample")})')
    return tasks
