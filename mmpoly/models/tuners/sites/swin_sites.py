"""Where tuning methods plug into an (unmodified) Swin block.

A Swin block computes ``y = x + DP(attn(norm1(x)))`` then
``z = ffn(norm2(y), identity=y)`` (MMCV's ``FFN`` adds the identity and its
own drop-path). Every function here adds a method's term at one of these
places with forward hooks (or, for prompts, an instance-level ``forward``
override), so the backbone's modules and its state-dict keys stay exactly
those of the pretrained checkpoint. Each returns handles with ``remove()``.
"""
from functools import partial
from typing import Callable, List, Optional

import torch
import torch.nn as nn

Branch = Callable[[torch.Tensor], torch.Tensor]

ATTN, FFN = 'attn', 'ffn'
POSITIONS = (ATTN, FFN)

#: The Linear layers of a Swin block that low-rank and scaling methods adapt.
LINEARS = ('qkv', 'proj', 'fc1', 'fc2')


def check_placement(positions, placement: str) -> tuple:
    """Validate adapter positions and placement; return the positions.

    Raises:
        ValueError: naming the bad value and the allowed ones.
    """
    positions = tuple(positions)
    if (not positions or any(p not in POSITIONS for p in positions)
            or len(set(positions)) != len(positions)):
        raise ValueError(f'positions must be a non-empty subset of '
                         f'{POSITIONS}, got {positions}')
    if placement not in ('parallel', 'serial'):
        raise ValueError(
            f"placement must be 'parallel' or 'serial', got {placement!r}")
    return positions


class _ResidualInput:
    """The input of a block's attention sub-layer, kept for its branch.

    ``norm1`` receives exactly the residual input ``x`` of the attention
    sub-layer, and the block calls ``attn`` on ``norm1(x)`` right after it,
    before any other sub-layer of the block runs. So a hook on ``norm1``
    stores ``x`` and the hook on ``attn`` takes it: a single slot, filled
    and emptied within one sub-layer, whatever order the hooks of other
    modules run in. A block run again (MTLoRA's task streams, activation
    checkpointing's recomputation) fills and empties it again in the same
    order.
    """

    def __init__(self) -> None:
        self.value: Optional[torch.Tensor] = None

    def keep(self, module, args, output) -> None:
        self.value = args[0]

    def take(self) -> torch.Tensor:
        if self.value is None:
            raise RuntimeError('attention ran without its norm1 input: the '
                               'block is not a Swin block')
        value, self.value = self.value, None
        return value


def add_parallel_branch(block: nn.Module, position: str,
                        branch: Branch) -> List:
    """Add ``branch(x)`` to a sub-layer, ``x`` being its residual input.

    ``attn``: ``y = x + DP(Attn(LN1(x))) + branch(x)``;
    ``ffn``: ``z = y + DP(MLP(LN2(y))) + branch(y)``.
    """
    if position == ATTN:
        residual = _ResidualInput()

        def add_to_attn(module, args, output):
            return output + branch(residual.take())

        return [
            block.norm1.register_forward_hook(residual.keep),
            block.attn.register_forward_hook(add_to_attn)
        ]
    if position == FFN:

        def add_to_ffn(module, args, kwargs, output):
            identity = kwargs.get('identity',
                                  args[1] if len(args) > 1 else None)
            if identity is None:  # FFN used without a residual argument
                identity = args[0]
            return output + branch(identity)

        return [block.ffn.register_forward_hook(add_to_ffn, with_kwargs=True)]
    raise ValueError(f'position must be one of {POSITIONS}, got {position!r}')


def add_serial_branch(block: nn.Module, position: str, branch: Branch) -> List:
    """Wrap a sub-layer's branch output ``v`` (before drop-path) as
    ``v + branch(v)``: ``attn`` wraps the window attention output, ``ffn``
    the MLP output."""
    if position == ATTN:
        target = block.attn.w_msa
    elif position == FFN:
        target = block.ffn.layers
    else:
        raise ValueError(
            f'position must be one of {POSITIONS}, got {position!r}')

    def wrap(module, args, output):
        return output + branch(output)

    return [target.register_forward_hook(wrap)]


def add_adapter_branches(arch, positions: tuple, placement: str,
                         branch: Callable[..., torch.Tensor]) -> List:
    """An adapter at every ``position`` of every block of ``arch``, in
    ``placement`` (``'parallel'`` or ``'serial'``): the term of block ``j``
    of stage ``s`` at position ``p`` is ``branch(s, j, p, x)``."""
    add = add_parallel_branch if placement == 'parallel' \
        else add_serial_branch
    handles = []
    for info in arch.blocks:
        for pos in positions:
            handles += add(info.block, pos,
                           partial(branch, info.stage, info.index, pos))
    return handles


def block_linears(block: nn.Module) -> dict:
    """``{'qkv', 'proj', 'fc1', 'fc2'}`` -> the block's ``nn.Linear``.

    ``fc1`` / ``fc2`` are the first and last Linear of MMCV's ``FFN``.
    """
    linears = [
        m for m in block.ffn.layers.modules() if isinstance(m, nn.Linear)
    ]
    return dict(
        qkv=block.attn.w_msa.qkv,
        proj=block.attn.w_msa.proj,
        fc1=linears[0],
        fc2=linears[-1])


def add_linear_branch(linear: nn.Module, branch: Branch) -> List:
    """``linear(x) + branch(x)`` (e.g. a LoRA term)."""

    def add(module, args, output):
        return output + branch(args[0])

    return [linear.register_forward_hook(add)]


def scale_linear_output(linear: nn.Module,
                        scale: Callable[[], torch.Tensor]) -> List:
    """``linear(x) * scale()`` (a vector over the output channels)."""

    def multiply(module, args, output):
        return output * scale()

    return [linear.register_forward_hook(multiply)]


def scale_linear_input(linear: nn.Module,
                       scale: Callable[[], torch.Tensor]) -> List:
    """``linear(x * scale())`` (a vector over the input channels)."""

    def multiply(module, args):
        return (args[0] * scale(), ) + tuple(args[1:])

    return [linear.register_forward_pre_hook(multiply)]


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
