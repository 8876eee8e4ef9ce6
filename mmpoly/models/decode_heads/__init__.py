from .all_mlp_head import AllMLPHead
from .downsampler import Downsampler
from .high_resolution_head import HighResolutionHead
from .task_decode_head import TaskDecodeHead

__all__ = ['AllMLPHead', 'Downsampler', 'HighResolutionHead', 'TaskDecodeHead']
