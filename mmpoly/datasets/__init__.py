from .multitask_dataset import BaseMultiTaskDataset, GTFile, GTSource
from .pascal_context_mt import PASCAL_MT_LAYOUT, PascalContextMTDataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BaseMultiTaskDataset', 'GTFile', 'GTSource', 'PascalContextMTDataset',
    'PASCAL_MT_LAYOUT'
]
