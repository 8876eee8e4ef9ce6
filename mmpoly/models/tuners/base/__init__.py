"""Base classes of the tuners and the checks they share."""
from .arguments import check_choice, check_reduction
from .base_tuner import SHARED, BaseTuner
from .hyper_adapter_tuner import HyperAdapterTuner, SiteKey
from .stage_hyper_adapter_tuner import StageHyperAdapterTuner

__all__ = [
    'BaseTuner', 'SHARED', 'HyperAdapterTuner', 'SiteKey',
    'StageHyperAdapterTuner', 'check_choice', 'check_reduction'
]
