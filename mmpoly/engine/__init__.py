from .checkpoint_loading import (checkpoint_safe_globals,
                                 load_local_checkpoint)
from .multitask_ddp import MultiTaskDDP

__all__ = ['load_local_checkpoint', 'checkpoint_safe_globals', 'MultiTaskDDP']
