from .formatting import PackMultiTaskInputs
from .geometric import MultiTaskPad, MultiTaskRandomFlip, MultiTaskResize
from .loading import LoadMultiTaskAnnotations, images_as_stored
from .scale_rotate import MultiTaskRandomScaleRotate

__all__ = [
    'LoadMultiTaskAnnotations', 'MultiTaskResize', 'MultiTaskRandomFlip',
    'MultiTaskPad', 'PackMultiTaskInputs', 'images_as_stored',
    'MultiTaskRandomScaleRotate'
]
