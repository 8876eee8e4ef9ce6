from .base_tuner import BaseTuner
from .swin_sites import (ATTN, FFN, BlockInfo, SwinArch, add_parallel_branch,
                         add_serial_branch, describe_swin)

__all__ = [
    'BaseTuner', 'SwinArch', 'BlockInfo', 'describe_swin',
    'add_parallel_branch', 'add_serial_branch', 'ATTN', 'FFN'
]
