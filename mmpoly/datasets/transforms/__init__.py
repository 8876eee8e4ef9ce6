from .formatting import PackMultiTaskInputs
from .geometric import (MultiTaskPad, MultiTaskRandomFlip, MultiTaskResize,
                        resize_normals)
from .loading import LoadMultiTaskAnnotations

__all__ = [
    'LoadMultiTaskAnnotations', 'MultiTaskResize', 'MultiTaskRandomFlip',
    'MultiTaskPad', 'PackMultiTaskInputs', 'resize_normals'
]
