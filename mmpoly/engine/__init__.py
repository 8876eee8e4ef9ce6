from .checkpoint_loading import checkpoint_safe_globals, load_local_checkpoint
from .config_tasks import apply_config_tasks
from .hooks import MultiTaskVisualizationHook
from .multitask_ddp import MultiTaskDDP
from .optim_constructor import TrainableOptimWrapperConstructor
from .runner import MultiTaskRunner

__all__ = [
    'load_local_checkpoint', 'checkpoint_safe_globals', 'MultiTaskDDP',
    'MultiTaskRunner', 'apply_config_tasks',
    'TrainableOptimWrapperConstructor', 'MultiTaskVisualizationHook'
]
