from .checkpoint_fit import CheckpointMismatchError, check_checkpoint_fits
from .checkpoint_loading import checkpoint_safe_globals, load_local_checkpoint
from .config_tasks import apply_config_tasks
from .file_backends import file_backends_installed, install_file_backends
from .hooks import MultiTaskVisualizationHook, RandomStateHook
from .multitask_ddp import MultiTaskDDP
from .optim import (AMP_DTYPES, MultiTaskAmpOptimWrapper, autocast_context,
                    autocast_dtype)
from .optim_constructor import TrainableOptimWrapperConstructor
from .runner import MultiTaskRunner

__all__ = [
    'load_local_checkpoint', 'checkpoint_safe_globals', 'MultiTaskDDP',
    'MultiTaskRunner', 'apply_config_tasks',
    'TrainableOptimWrapperConstructor', 'MultiTaskVisualizationHook',
    'RandomStateHook', 'CheckpointMismatchError', 'check_checkpoint_fits',
    'install_file_backends', 'file_backends_installed',
    'MultiTaskAmpOptimWrapper', 'autocast_context', 'autocast_dtype',
    'AMP_DTYPES'
]
