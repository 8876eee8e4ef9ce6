"""Dense prediction tasks: one class per kind of task, declared in configs.

See :class:`BaseTask` for what a task decides, and README "Adding a new
task" for a task class of your own.
"""
from .base_task import BaseTask
from .binary_task import BinaryTask
from .depth_task import DepthTask
from .edge_task import EdgeTask
from .label_io import DataFormatError
from .label_map_task import LabelMapTask
from .normals_task import NormalsTask
from .segmentation_task import SegmentationTask
from .task_set import TaskSet, build_task, build_tasks, check_task_names

__all__ = [
    'BaseTask', 'LabelMapTask', 'SegmentationTask', 'BinaryTask', 'EdgeTask',
    'NormalsTask', 'DepthTask', 'TaskSet', 'build_task', 'build_tasks',
    'DataFormatError', 'check_task_names'
]
