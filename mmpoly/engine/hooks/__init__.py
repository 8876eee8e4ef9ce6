from .random_state_hook import RandomStateHook
from .visualization_hook import MultiTaskVisualizationHook

__all__ = ['MultiTaskVisualizationHook', 'RandomStateHook']
