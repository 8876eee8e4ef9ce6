from .multitask_dataset import BaseMultiTaskDataset, GTFile, GTSource
from .nyud_v2_mt import NYUD_LAYOUT, NYUDv2MTDataset
from .pascal_context_mt import PASCAL_MT_LAYOUT, PascalContextMTDataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BaseMultiTaskDataset', 'GTFile', 'GTSource', 'PascalContextMTDataset',
    'PASCAL_MT_LAYOUT', 'NYUDv2MTDataset', 'NYUD_LAYOUT'
]
