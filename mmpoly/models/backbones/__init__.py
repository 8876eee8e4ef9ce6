from .load_report import backbone_load_line
from .peft_backbone import PEFTBackbone
from .pretrained_init import (CheckedPretrainedInit, PretrainedMismatchError,
                              load_pretrained_backbone)
from .pretrained_layouts import PretrainedLayoutError, backbone_state_from
from .relative_position_resize import (RelativePositionResizeError,
                                       resize_relative_position_table)
from ..archs.swin import SwinLayoutError, convert_official_swin
from .task_conditioned import TaskConditionedBackbone

__all__ = [
    'PEFTBackbone', 'TaskConditionedBackbone', 'CheckedPretrainedInit',
    'PretrainedMismatchError', 'load_pretrained_backbone',
    'PretrainedLayoutError', 'backbone_state_from',
    'RelativePositionResizeError', 'resize_relative_position_table',
    'SwinLayoutError', 'convert_official_swin', 'backbone_load_line'
]
