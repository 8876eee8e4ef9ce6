"""Terms added to a block's residual branches (adapters).

Written against :class:`~mmpoly.models.archs.SubLayer`, so that the same
code places an adapter in a pre-norm block (Swin, ViT), a post-norm block
(Swin-V2) or a block whose whole residual sum happens inside one module
(ConvNeXt). Forward hooks only: the backbone's modules and state-dict keys
are untouched. Each function returns handles with ``remove()``.
"""
from functools import partial
from typing import Callable, List, Optional, Sequence

import torch
import torch.nn as nn

from ...archs import ArchDescription, SubLayer

Branch = Callable[[torch.Tensor], torch.Tensor]


def check_placement(positions: Sequence[str], placement: str) -> tuple:
    """Validate adapter positions (distinct, non-empty) and placement;
    return the positions. Whether the backbone has them is checked when
    the method is attached (:meth:`ArchDescription.require_positions`).

    Raises:
        ValueError: naming the bad value and the allowed ones.
    """
    positions = tuple(positions)
    if not positions or len(set(positions)) != len(positions):
        raise ValueError(f'positions must be distinct sub-layer names, got '
                         f'{positions}')
    if placement not in ('parallel', 'serial'):
        raise ValueError(
            f"placement must be 'parallel' or 'serial', got {placement!r}")
    return positions


def _channels_last(branch: Branch, sublayer: SubLayer) -> Branch:
    """``branch`` applied over channels-last tokens whatever the layout."""
    if sublayer.channels_last:
        return branch

    def on_maps(x: torch.Tensor) -> torch.Tensor:
        return branch(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    return on_maps


class _ResidualInput:
    """The residual input of a sub-layer, kept for its parallel branch.

    The residual input ``x`` is the first argument of the sub-layer's
    :attr:`~SubLayer.residual_input` module, and the module whose output
    takes the term runs right after it, before any other sub-layer of the
    block: a single slot, filled and emptied within one sub-layer. A block
    run again (task streams, activation checkpointing's recomputation) fills
    and empties it again in the same order.
    """

    def __init__(self) -> None:
        self.value: Optional[torch.Tensor] = None

    def keep(self, module, args) -> None:
        self.value = args[0]

    def take(self) -> torch.Tensor:
        if self.value is None:
            raise RuntimeError('a residual branch ended without its input: '
                               'the block does not match its description')
        value, self.value = self.value, None
        return value


def add_parallel_branch(sublayer: SubLayer, branch: Branch) -> List:
    """Add ``branch(x)`` beside a sub-layer, ``x`` its residual input:
    ``x + f(x) + branch(x)``, the term added after any norm of ``f``."""
    branch = _channels_last(branch, sublayer)
    if sublayer.residual_input is sublayer.residual_output:

        def add_to_sum(module, args, output):
            return output + branch(args[0])

        return [sublayer.module.register_forward_hook(add_to_sum)]
    residual = _ResidualInput()

    def add_to_output(module, args, output):
        return output + branch(residual.take())

    return [
        sublayer.residual_input.register_forward_pre_hook(residual.keep),
        sublayer.residual_output.register_forward_hook(add_to_output)
    ]


def add_serial_branch(sublayer: SubLayer, branch: Branch) -> List:
    """Wrap a sub-layer's branch value ``v`` (before layer scale and
    drop-path, channels last) as ``v + branch(v)``."""

    def wrap(module, args, output):
        return output + branch(output)

    return [sublayer.branch_output.register_forward_hook(wrap)]


def add_adapter_branches(arch: ArchDescription, positions: tuple,
                         placement: str,
                         branch: Callable[..., torch.Tensor]) -> List:
    """An adapter at every ``position`` of every block of ``arch``, in
    ``placement`` (``'parallel'`` or ``'serial'``): the term of block ``j``
    of stage ``s`` at position ``p`` is ``branch(s, j, p, x)``."""
    add = add_parallel_branch if placement == 'parallel' \
        else add_serial_branch
    handles = []
    for info in arch.blocks:
        for pos in positions:
            handles += add(info.sublayers[pos],
                           partial(branch, info.stage, info.index, pos))
    return handles


def block_forward_input_needs_grad(block: nn.Module) -> List:
    """Make ``block``'s input require grad in training, so that backward
    runs through it and every block after it (nothing else changes)."""

    def needs_grad(module, args):
        if not module.training:
            return None
        return (args[0].detach().requires_grad_(), ) + tuple(args[1:])

    return [block.register_forward_pre_hook(needs_grad)]
