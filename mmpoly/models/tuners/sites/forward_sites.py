"""Sites that change what a module computes: prompt tokens in attention,
and task streams' features."""
from typing import Callable

import torch
import torch.nn as nn

from ...archs import ArchDescription, BlockInfo
from .task_rows import PerTask, whole_batch


class ForwardOverride:
    """Replace a module's ``forward`` on the instance; ``remove()`` restores.

    The module's parameters and state-dict keys are untouched.
    """

    def __init__(self, module: nn.Module, forward: Callable) -> None:
        if 'forward' in module.__dict__:
            raise RuntimeError(
                f'{type(module).__name__} already has a forward override')
        self.module = module
        module.forward = forward

    def remove(self) -> None:
        self.module.__dict__.pop('forward', None)


def add_prompt_tokens(arch: ArchDescription,
                      info: BlockInfo,
                      prompts: Callable[[], torch.Tensor],
                      per_task: PerTask = whole_batch) -> ForwardOverride:
    """Let every query of the block's attention attend to ``prompts()``
    (``(P, C)``, residual-stream tokens: they go through the attention
    sub-layer's norm first, like the block's own tokens). In a task-batched
    pass ``per_task`` gives each task's rows of the attention's input (its
    first argument) that task's prompts."""
    norm = info.sublayers['attn'].norm
    attention = arch.prompt_attention
    module = info.attention

    def forward(x, *args, **kwargs):
        # the norm's own forward: its hooks (a parallel adapter's residual
        # slot) belong to the block's tokens, not to the prompts
        return per_task(
            lambda rows: attention(module, norm.forward(prompts()), rows, *
                                   args, **kwargs), x)

    return ForwardOverride(module, forward)


def tokens_as_feature_map(y: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A block output in the layout of a backbone output feature.

    Args:
        y: ``(N, L, C)`` tokens (leading extra tokens, e.g. a class token,
            are dropped) or an ``(N, C, H, W)`` map.
        like: The backbone's ``(N, C, H, W)`` output at the same place.

    Returns:
        ``(N, C, H, W)``.
    """
    if y.dim() == 4:
        return y
    n, c, h, w = like.shape
    return y[:, y.shape[1] - h * w:].reshape(n, h, w,
                                             c).permute(0, 3, 1,
                                                        2).contiguous()
