from .formatting import PackMultiTaskInputs
from .geometric import MultiTaskPad, MultiTaskRandomFlip, MultiTaskResize
from .loading import LoadMultiTaskAnnotations

__all__ = [
    'LoadMultiTaskAnnotations', 'MultiTaskResize', 'MultiTaskRandomFlip',
    'MultiTaskPad', 'PackMultiTaskInputs'
]
