from .pascal_context_mt import PASCAL_MT_LAYOUT, PascalContextMTDataset
from .transforms import *  # noqa: F401,F403

__all__ = ['PascalContextMTDataset', 'PASCAL_MT_LAYOUT']
