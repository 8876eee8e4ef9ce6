from .all_mlp_head import AllMLPHead
from .task_decode_head import TaskDecodeHead

__all__ = ['AllMLPHead', 'TaskDecodeHead']
