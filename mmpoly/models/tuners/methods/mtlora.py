"""MTLoRA (Agiza et al., CVPR 2024): task-agnostic and task-specific
low-rank adaptation with per-task features at the end of every stage."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ....registry import TUNERS
from ...archs import ArchDescription, BlockInfo
from ..base import (MTLORA_UNFREEZE, SHARED_TARGETS, TASK_TARGETS,
                    SharedLinear, TaskStreamTuner, check_choice)
from ..layers import LoRABranch
from ..sites import add_linear_branch, frozen_linear

#: How a task stream computes an adapted Linear of a stage's last block.
STREAM_MODES = ('matrix', 'rerun')


@TUNERS.register_module()
class MTLoRA(TaskStreamTuner):
    """Shared low-rank adaptation everywhere, task streams at stage ends.

    - Task-agnostic LoRA (rank ``shared_rank``) on ``qkv, proj, fc1, fc2``
      of every block; the backbone runs once for all tasks.
    - In the last block of every stage, each task gets its own stream with
      task-specific LoRA (rank ``task_rank``) on ``proj, fc1, fc2``; the
      task's stage feature is that stream's output, while the shared output
      continues to the next stage.
    - Like the reference, the patch embedding, every LayerNorm, the
      patch-merging reductions and the relative-position tables of the
      backbone are trained too (``unfreeze``).
    - MTLoRA+ (``merge_rank``): a shared LoRA on each patch merging's
      reduction as well (the reduction itself then stays frozen: leave
      ``'downsample.reduction'`` out of ``unfreeze``).

    Task streams (``stream_mode``):

    - ``'matrix'`` (the reference's default): attention is computed once,
      on the shared stream (a stream's ``qkv`` is the shared one), and in a
      stream each task-adapted Linear is
      ``y_t = W x_shared + b + s B_t A_t x_t``: the frozen weight on the
      shared stream's input of that Linear, plus only the task's low-rank
      term on the stream's own input ``x_t`` (the shared LoRA term is
      absent). ``x_t`` is the shared input at ``proj``, the norm of the
      stream's attention output at ``fc1``, the activation of the stream's
      ``fc1`` at ``fc2``; the stream's output is its residual sum. The
      LoRA dropout, as in the reference, is drawn once per Linear of the
      shared pass: the task terms at ``proj`` read the shared term's
      dropped-out input, those at ``fc1`` and ``fc2`` the stream's own
      activations without dropout.
    - ``'rerun'`` (mmpoly before this mode existed): the block is run again
      from its shared input with the frozen weights on the stream's own
      activations and both the shared and the task terms.

    The mechanism (streams, features after the stage's patch merging when
    the backbone's outputs are taken after it) is
    :class:`~mmpoly.models.tuners.base.TaskStreamTuner`'s.

    Args:
        shared_rank: Rank of the task-agnostic LoRA (64 in the reference's
            best setting).
        task_rank: Rank of the task-specific LoRA (4 in the reference).
        scale: Multiplier of every LoRA term (4 in the reference).
        dropout: Dropout on LoRA inputs.
        shared_targets, task_targets: Linear roles adapted by each kind.
        unfreeze: Substrings of backbone parameter names to train as well.
        stream_mode: ``'matrix'`` or ``'rerun'`` (see above).
        merge_rank: Rank of a shared LoRA on every patch merging's
            reduction (MTLoRA+); None for none.
    """

    #: The shared branches' dropped-out inputs of the last blocks' Linear
    #: layers, which the streams read.
    pass_state_attrs = TaskStreamTuner.pass_state_attrs + ('_dropped', )

    def __init__(self,
                 shared_rank: int = 64,
                 task_rank: int = 4,
                 scale: float = 4.0,
                 dropout: float = 0.05,
                 shared_targets: Sequence[str] = SHARED_TARGETS,
                 task_targets: Sequence[str] = TASK_TARGETS,
                 unfreeze: Sequence[str] = MTLORA_UNFREEZE,
                 stream_mode: str = 'matrix',
                 merge_rank: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(unfreeze=unfreeze, init_cfg=init_cfg)
        for name, targets in (('shared_targets', shared_targets),
                              ('task_targets', task_targets)):
            if len(set(targets)) != len(tuple(targets)):
                raise ValueError(f'{name} must be distinct Linear roles, '
                                 f'got {tuple(targets)}')
        for name, rank in (('shared_rank', shared_rank),
                           ('task_rank', task_rank), ('merge_rank', merge_rank
                                                      or 1)):
            if rank < 1:
                raise ValueError(f'{name} must be positive, got {rank}')
        self.shared_rank, self.task_rank = shared_rank, task_rank
        self.merge_rank = merge_rank
        self.scale, self.dropout = scale, dropout
        self.shared_targets = tuple(shared_targets)
        self.task_targets = tuple(task_targets)
        check_choice('stream_mode', stream_mode, STREAM_MODES)
        self.stream_mode = stream_mode
        self.shared = nn.ModuleList()
        self.task = nn.ModuleDict()
        self.merge_lora = nn.ModuleList()
        # (stage, role) -> the shared branch's dropped-out input of a last
        # block's Linear in this pass ('matrix' streams read it)
        self._dropped: Dict[Tuple[int, str], torch.Tensor] = {}

    def check_backbone(self, arch: ArchDescription) -> None:
        arch.require_linears(
            self.name,
            list(dict.fromkeys(self.shared_targets + self.task_targets)))
        if self.merge_rank is not None:
            arch.require_merge_linears(self.name)

    def _branch(self, linear: nn.Linear, rank: int) -> LoRABranch:
        return LoRABranch(
            linear.in_features,
            linear.out_features,
            rank,
            branch_norm=False,
            scale=self.scale,
            dropout=self.dropout)

    def build_modules(self, backbone: nn.Module,
                      arch: ArchDescription) -> None:
        self.shared = self.per_block(
            arch,
            lambda info: nn.ModuleDict({
                n: self._branch(lin, self.shared_rank)
                for n, lin in info.linears.items() if n in self.shared_targets
            }))
        for t in self.tasks:
            self.task[t] = nn.ModuleList(
                self.in_stage(
                    s,
                    nn.ModuleDict({
                        n: self._branch(lin, self.task_rank)
                        for n, lin in blocks[-1].linears.items()
                        if n in self.task_targets
                    })) for s, blocks in enumerate(arch.stages))
        if self.merge_rank is not None:
            self.merge_lora = nn.ModuleList(
                self.in_stage(s, self._branch(lin, self.merge_rank))
                for s, lin in enumerate(arch.merge_linears[:-1]))

    def install_hooks(self, backbone: nn.Module,
                      arch: ArchDescription) -> List:
        handles = super().install_hooks(backbone, arch)
        for branch, linear in zip(self.merge_lora, arch.merge_linears):
            handles += add_linear_branch(linear, branch)
        return handles

    def block_hooks(self, info: BlockInfo) -> List:
        if self.is_last(info):
            return []
        shared = self.shared[info.stage][info.index]
        return [
            h for name, linear in info.linears.items() if name in shared
            for h in add_linear_branch(linear, shared[name])
        ]

    def shared_linear(
            self, info: BlockInfo, name: str, linear: nn.Linear,
            x: torch.Tensor) -> Tuple[Optional[torch.Tensor], torch.Tensor]:
        frozen = frozen_linear(linear, x)
        shared = self.shared[info.stage][info.index]
        if name not in shared:
            return frozen, frozen
        dropped = shared[name].dropped(x)
        if self.stream_mode == 'matrix':
            self._dropped[info.stage, name] = dropped
        return frozen, frozen + shared[name].low_rank(dropped)

    def streams_share_attention(self) -> bool:
        """In ``'matrix'`` mode a stream's ``qkv`` is the shared pass's
        (unless ``qkv`` is a task target), so is its attention: streams
        start at ``proj``, as the reference computes them."""
        return self.stream_mode == 'matrix' and \
            'qkv' not in self.task_targets

    def stream_linear(self, task: str, info: BlockInfo, name: str,
                      linear: nn.Linear, x: torch.Tensor,
                      shared: SharedLinear) -> torch.Tensor:
        """In ``'matrix'`` mode a task-adapted Linear is the frozen output
        of the shared input plus the task's term on the stream's input
        (the shared branch's dropped-out input where the stream's input is
        the shared one, ``proj``; without dropout otherwise); any other
        Linear (``qkv``) gives the shared pass's output. In ``'rerun'``
        mode every Linear runs on the stream's input with the shared and
        the task's terms."""
        task_terms = self.task[task][info.stage]
        if self.stream_mode == 'rerun':
            out = self.shared_linear(info, name, linear, x)[1]
            return out + task_terms[name](x) if name in task_terms else out
        if name not in task_terms:
            return shared.output
        term = task_terms[name]
        if x is shared.input:
            dropped = self._dropped.get((info.stage, name))
            x = term.dropped(x) if dropped is None else dropped
        return shared.frozen + term.low_rank(x)

    def finish_pass(self, task: Optional[str]) -> None:
        super().finish_pass(task)
        self._dropped.clear()

    def init_weights(self) -> None:
        super().init_weights()
        for m in self.modules():
            if isinstance(m, LoRABranch):
                m.reset_parameters('kaiming')
