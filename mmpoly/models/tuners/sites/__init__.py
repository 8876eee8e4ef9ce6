"""Sites: where a tuner's terms enter an unmodified Swin Transformer."""
from .swin_arch import BlockInfo, SwinArch, describe_swin
from .swin_sites import (ATTN, FFN, LINEARS, POSITIONS, ForwardOverride,
                         add_adapter_branches, add_linear_branch,
                         add_parallel_branch, add_serial_branch, block_linears,
                         check_placement, scale_linear_input,
                         scale_linear_output)

__all__ = [
    'BlockInfo', 'SwinArch', 'describe_swin', 'ATTN', 'FFN', 'LINEARS',
    'POSITIONS', 'ForwardOverride', 'add_adapter_branches',
    'add_linear_branch', 'add_parallel_branch', 'add_serial_branch',
    'block_linears', 'check_placement', 'scale_linear_input',
    'scale_linear_output'
]
