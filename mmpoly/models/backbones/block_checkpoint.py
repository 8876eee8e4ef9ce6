"""Activation checkpointing of a backbone's blocks that keeps a tuner's
hooks right when a block is recomputed.

MMPretrain's blocks checkpoint themselves when built with ``with_cp=True``
(reentrant :func:`torch.utils.checkpoint.checkpoint`, and only when the
block's input requires grad). Under a tuner that is wrong twice: the block
is recomputed in the backward pass, after its task pass has ended (the
per-task backward of :func:`~mmpoly.models.segmentors.per_task_step.
per_task_train_step`), so the hooks find no task, another task's generated
weights, or prompts moved on by later blocks; and per-task tensors applied
with :func:`torch.func.functional_call` are no longer in place. The
wrapper therefore takes over: each such block's own checkpointing is
switched off and its ``forward`` is run through non-reentrant checkpointing
that, when the block is recomputed, restores

- the tuner's pass state as it was when the block started
  (:meth:`~mmpoly.models.tuners.BaseTuner.pass_state`), and puts back the
  state it found afterwards, so what the hooks write while recomputing
  (TADFormer's prompts for the next block, a stream's skip feature) does
  not outlive the recomputation;
- the block's parameters and buffers that were replaced in the pass
  (per-task tensors, merged weights).

The block's own hooks (``register_forward_pre_hook`` / ``_hook`` on the
block module, e.g. task streams run after a stage's last block) run in
``block(...)``, outside the checkpointed ``forward``, once per pass;
hooks on its sub-modules run again in the recomputation. Random numbers
(dropout, drop-path) are replayed by the checkpoint itself.
"""
from contextlib import ExitStack, contextmanager, nullcontext
from typing import Dict, Iterator, List, Optional, Sequence

import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint

from ..archs import ArchDescription
from ..tuners import BaseTuner


def blocks_with_cp(arch: ArchDescription) -> List[nn.Module]:
    """The blocks of ``arch`` built with ``with_cp=True``."""
    return [
        info.block for info in arch.blocks
        if getattr(info.block, 'with_cp', False)
    ]


def _module_tensors(module: nn.Module) -> Dict[str, torch.Tensor]:
    """Name -> the tensor ``module`` computes with now (a parameter, a
    buffer, or what :func:`torch.func.functional_call` put in its
    place)."""
    tensors = dict(module.named_parameters())
    tensors.update(module.named_buffers())
    return tensors


@contextmanager
def _tensors_in_place(module: nn.Module,
                      tensors: Dict[str, torch.Tensor]) -> Iterator[None]:
    """Context in which ``module`` computes with ``tensors`` (by name)
    wherever they differ from its current ones; restored on exit."""
    current = _module_tensors(module)
    swapped = {n: t for n, t in tensors.items() if current.get(n) is not t}
    slots = []
    for name, tensor in swapped.items():
        owner_name, _, leaf = name.rpartition('.')
        owner = module.get_submodule(owner_name)
        table = owner._parameters if leaf in owner._parameters \
            else owner._buffers
        slots.append((table, leaf, table[leaf]))
        table[leaf] = tensor
    try:
        yield
    finally:
        for table, leaf, tensor in reversed(slots):
            table[leaf] = tensor


class _Recomputation:
    """The context of one block's recomputation: the tuner's pass state
    and the block's tensors as they were in its forward. Entered once per
    backward through the block (again under ``retain_graph``)."""

    def __init__(self, block: nn.Module, tuner: Optional[BaseTuner]) -> None:
        self.block = block
        self.tuner = tuner
        self.state = tuner.pass_state() if tuner is not None else None
        self.tensors = _module_tensors(block)
        self._stack: Optional[ExitStack] = None

    def __enter__(self) -> None:
        stack = ExitStack()
        stack.enter_context(_tensors_in_place(self.block, self.tensors))
        if self.tuner is not None:
            stack.enter_context(self.tuner.restore_pass_state(self.state))
        self._stack = stack

    def __exit__(self, *exc) -> bool:
        stack, self._stack = self._stack, None
        return stack.__exit__(*exc)


class CheckpointedForward:
    """A block's ``forward`` under non-reentrant activation checkpointing,
    installed on the block instance (its state-dict keys are untouched).

    Without autograd recording (inference), and while tracing (FLOP
    counting), it is the block's ``forward`` itself.

    Args:
        block: The block; its ``with_cp`` is switched off.
        tuner: The tuner whose pass state the recomputation restores, or
            None.
    """

    def __init__(self, block: nn.Module, tuner: Optional[BaseTuner]) -> None:
        if 'forward' in block.__dict__:
            raise RuntimeError(
                f'{type(block).__name__} already has a forward override; '
                'block checkpointing must be installed once, after the '
                "tuner's hooks")
        self.block = block
        self.tuner = tuner
        self.inner = block.forward
        #: Checkpoint the block (False: run ``inner`` as it is).
        self.enabled = True
        block.with_cp = False
        block.forward = self

    def __call__(self, *args, **kwargs):
        if not (self.enabled and torch.is_grad_enabled()) or \
                torch.jit.is_tracing():
            return self.inner(*args, **kwargs)
        recomputation = _Recomputation(self.block, self.tuner)
        # early_stop=False: the recomputation runs the whole block, so every
        # hook's slot is filled and emptied as in the forward
        return checkpoint(
            self.inner,
            *args,
            use_reentrant=False,
            context_fn=lambda: (nullcontext(), recomputation),
            early_stop=False,
            **kwargs)

    def remove(self) -> None:
        """Restore the block's own ``forward`` and ``with_cp=True``."""
        self.block.__dict__.pop('forward', None)
        self.block.with_cp = True


def checkpoint_blocks(blocks: Sequence[nn.Module],
                      tuner: Optional[BaseTuner]) -> List[CheckpointedForward]:
    """Take over the activation checkpointing of ``blocks`` (see the module
    docstring); returns the handles (``remove()``)."""
    return [CheckpointedForward(block, tuner) for block in blocks]
