"""Base classes of the tuners and the checks they share."""
from .arguments import check_choice, check_reduction
from .base_tuner import SHARED, BaseTuner
from .hyper_adapter_tuner import HyperAdapterTuner, SiteKey
from .stage_hyper_adapter_tuner import StageHyperAdapterTuner
from .task_stream_tuner import (MTLORA_UNFREEZE, SHARED_TARGETS, TASK_TARGETS,
                                SharedLinear, TaskStreamTuner)

__all__ = [
    'BaseTuner', 'SHARED', 'HyperAdapterTuner', 'SiteKey',
    'StageHyperAdapterTuner', 'check_choice', 'check_reduction',
    'SharedLinear', 'TaskStreamTuner', 'MTLORA_UNFREEZE', 'SHARED_TARGETS',
    'TASK_TARGETS'
]
