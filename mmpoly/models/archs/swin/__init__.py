"""Swin Transformer (v1): its description and its checkpoint layouts."""
from .description import describe_swin
from .official_layout import (SwinLayoutError, convert_official_swin,
                              is_official_swin, merge_to_unfold_order)

__all__ = [
    'describe_swin', 'SwinLayoutError', 'convert_official_swin',
    'is_official_swin', 'merge_to_unfold_order'
]
