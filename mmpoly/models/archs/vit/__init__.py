"""Plain Vision Transformer: its description and prompted attention."""
from .description import describe_vit
from .prompted_attention import prompted_token_attention

__all__ = ['describe_vit', 'prompted_token_attention']
