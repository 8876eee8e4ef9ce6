from .peft_backbone import PEFTBackbone
from .task_conditioned import TaskConditionedBackbone

__all__ = ['PEFTBackbone', 'TaskConditionedBackbone']
