from .multitask_segmentor import MultiTaskSegmentor
from .per_task_step import backward_without_step, per_task_train_step

__all__ = [
    'MultiTaskSegmentor', 'backward_without_step', 'per_task_train_step'
]
