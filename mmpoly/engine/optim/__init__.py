"""Optimiser wrappers and the autocast context of mixed precision."""
from .autocast_context import AMP_DTYPES, autocast_context, autocast_dtype
from .multitask_amp_optim_wrapper import MultiTaskAmpOptimWrapper

__all__ = [
    'AMP_DTYPES', 'autocast_context', 'autocast_dtype',
    'MultiTaskAmpOptimWrapper'
]
