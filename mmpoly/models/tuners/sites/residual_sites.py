"""Terms added to a block's residual branches (adapters).

Written against :class:`~mmpoly.models.archs.SubLayer`, so that the same
code places an adapter in a pre-norm block (Swin, ViT), a post-norm block
(Swin-V2) or a block whose whole residual sum happens inside one module
(ConvNeXt). Forward hooks only: the backbone's modules and state-dict keys
are untouched. Each function returns handles with ``remove()``.

Besides added terms, a module can transform the residual stream itself
after a sub-layer (:func:`transform_residual_sum`, Mona); modules that
work on the token grid get it with :func:`keep_token_grid`.
"""
from functools import partial
from typing import Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ...archs import ArchDescription, SubLayer
from .task_rows import PerTask, whole_batch

Branch = Callable[[torch.Tensor], torch.Tensor]
#: ``fn(tokens, hw)``: ``(N, H*W, C)`` tokens on the grid ``hw = (H, W)``
#: -> ``(N, H*W, C)``.
GridFn = Callable[[torch.Tensor, Tuple[int, int]], torch.Tensor]


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


def transform_residual_sum(sublayer: SubLayer, fn: Branch) -> List:
    """Make the residual stream after a sub-layer ``fn(x + f(x))`` instead
    of ``x + f(x)`` (``x`` its residual input): ``fn`` then feeds the rest
    of the block, the next sub-layer's residual included.

    ``fn`` takes and returns the stream in its own layout
    (:attr:`~SubLayer.channels_last` tokens or ``(N, C, H, W)`` maps). When
    the output of :attr:`~SubLayer.residual_output` already is the sum
    (:attr:`~SubLayer.output_has_residual`: an MMCV ``FFN`` with
    ``identity``, a ConvNeXt block) it is replaced by ``fn`` of it. When the
    block adds ``x`` after that module (Swin's attention, a post-norm
    norm), its output ``t`` is replaced by ``fn(x + t) - x``, ``x`` kept by
    a pre-hook on :attr:`~SubLayer.residual_input`, so that the block's sum
    is ``fn(x + t)`` (up to float rounding).
    """
    if sublayer.output_has_residual:

        def transform_sum(module, args, output):
            return fn(output)

        return [sublayer.residual_output.register_forward_hook(transform_sum)]
    if sublayer.residual_input is sublayer.residual_output:

        def transform_with_input(module, args, output):
            return fn(args[0] + output) - args[0]

        return [
            sublayer.residual_output.register_forward_hook(
                transform_with_input)
        ]
    residual = _ResidualInput()

    def transform_term(module, args, output):
        x = residual.take()
        return fn(x + output) - x

    return [
        sublayer.residual_input.register_forward_pre_hook(residual.keep),
        sublayer.residual_output.register_forward_hook(transform_term)
    ]


def keep_token_grid(
    block: nn.Module, token_grid: Callable[[tuple], Tuple[int, int]]
) -> Tuple[Callable[[], Tuple[int, int]], List]:
    """The ``(H, W)`` grid of ``block``'s tokens, read by a forward
    pre-hook from its arguments with ``token_grid``
    (:attr:`ArchDescription.token_grid`).

    Returns:
        ``grid()``, the grid of the block's latest call (it stays set, so
        activation checkpointing's recomputation reads it too), and the
        hook's handle.
    """
    kept: List[Tuple[int, int]] = []

    def keep(module, args):
        kept[:] = [tuple(int(n) for n in token_grid(args))]

    def grid() -> Tuple[int, int]:
        if not kept:
            raise RuntimeError(f'the token grid of a {type(block).__name__} '
                               'was read before the block ran')
        return kept[0]

    return grid, [block.register_forward_pre_hook(keep)]


def _on_tokens(fn: GridFn, sublayer: SubLayer,
               grid: Optional[Callable[[], Tuple[int, int]]]) -> Branch:
    """``fn`` on the stream of ``sublayer``: channels-last ``(N, H*W, C)``
    tokens on ``grid()``, or ``(N, C, H, W)`` maps made tokens."""
    if sublayer.channels_last:
        return lambda x: fn(x, grid())

    def on_maps(x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        y = fn(x.flatten(2).transpose(1, 2), (h, w))
        return y.transpose(1, 2).reshape(n, c, h, w)

    return on_maps


def _task_rows(per_task: PerTask, fn: GridFn, x: torch.Tensor,
               hw: Tuple[int, int]) -> torch.Tensor:
    """``fn(x, hw)``, each task's rows of ``x`` through ``per_task``."""
    return per_task(lambda rows: fn(rows, hw), x)


def transform_residual_sums(arch: ArchDescription,
                            positions: Sequence[str],
                            fn: Callable[..., torch.Tensor],
                            per_task: PerTask = whole_batch) -> List:
    """:func:`transform_residual_sum` at every ``position`` of every block
    of ``arch``: the stream after sub-layer ``p`` of block ``j`` of stage
    ``s`` becomes ``fn(s, j, p, tokens, hw)``, ``tokens`` the stream as
    ``(N, H*W, C)`` on the grid ``hw = (H, W)``, whatever the family's
    layout (each task's rows through ``per_task`` in a task-batched pass).
    Channels-last streams need :attr:`ArchDescription.token_grid` (check it
    when the method is attached).
    """
    handles = []
    for info in arch.blocks:
        grid = None
        if any(info.sublayers[p].channels_last for p in positions):
            if arch.token_grid is None:
                raise RuntimeError(
                    f'{arch.family} has no token_grid for the channels-last '
                    'tokens of its blocks')
            grid, kept = keep_token_grid(info.block, arch.token_grid)
            handles += kept
        for pos in positions:
            sublayer = info.sublayers[pos]
            handles += transform_residual_sum(
                sublayer,
                _on_tokens(
                    partial(_task_rows, per_task,
                            partial(fn, info.stage, info.index, pos)),
                    sublayer, grid))
    return handles
