"""The Swin Transformer families: Swin (v1, its description and checkpoint
layouts) and Swin-V2 (its description)."""
from .description import describe_swin
from .v2_description import describe_swin_v2
from .official_layout import (SwinLayoutError, convert_official_swin,
                              is_official_swin, merge_to_unfold_order)

__all__ = [
    'describe_swin', 'describe_swin_v2', 'SwinLayoutError',
    'convert_official_swin', 'is_official_swin', 'merge_to_unfold_order'
]
