from .non_finite_loss_hook import NonFiniteLossHook, NonFiniteTrainingError
from .pending_validation_hook import PendingValidationHook
from .random_state_hook import RandomStateHook
from .visualization_hook import MultiTaskVisualizationHook

__all__ = [
    'MultiTaskVisualizationHook', 'NonFiniteLossHook',
    'NonFiniteTrainingError', 'PendingValidationHook', 'RandomStateHook'
]
