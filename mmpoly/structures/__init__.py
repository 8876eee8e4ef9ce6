from .multitask_data_sample import MultiTaskDataSample
from .task_spec import (BINARY, IGNORE_INDEX, NORMALS, SEGMENTATION,
                        TASK_SPECS, TaskSpec, check_tasks, get_task_spec,
                        task_of_gt_key)

__all__ = [
    'MultiTaskDataSample', 'TaskSpec', 'TASK_SPECS', 'get_task_spec',
    'check_tasks', 'task_of_gt_key', 'SEGMENTATION', 'BINARY', 'NORMALS',
    'IGNORE_INDEX'
]
