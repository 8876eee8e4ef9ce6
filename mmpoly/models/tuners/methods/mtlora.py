"""MTLoRA (Agiza et al., CVPR 2024): task-agnostic and task-specific
low-rank adaptation with per-task features at the end of every stage."""
from functools import partial
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ....registry import TUNERS
from ...archs import ArchDescription
from ...run_mode import RunMode
from ..base import BaseTuner, check_choice
from ..layers import LoRABranch
from ..sites import (add_linear_branch, replace_linear_output,
                     tokens_as_feature_map)

#: How a task stream computes an adapted Linear of a stage's last block.
STREAM_MODES = ('matrix', 'rerun')


@TUNERS.register_module()
class MTLoRA(BaseTuner):
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

    Task streams (``stream_mode``):

    - ``'matrix'`` (the reference's default): attention is computed once,
      on the shared stream (a stream's ``qkv`` is the shared one), and in a
      stream each task-adapted Linear is
      ``y_t = W x_shared + b + s B_t A_t x_t``: the frozen weight on the
      shared stream's input of that Linear, plus only the task's low-rank
      term on the stream's own input ``x_t`` (the shared LoRA term is
      absent). ``x_t`` is the shared input at ``proj``, the norm of the
      stream's attention output at ``fc1``, the activation of the stream's
      ``fc1`` at ``fc2``; the stream's output is its residual sum.
    - ``'rerun'`` (mmpoly before this mode existed): the block is run again
      from its shared input with the frozen weights on the stream's own
      activations and both the shared and the task terms.

    Task features are taken at the end of each stage, before patch merging,
    like every other method of this benchmark, and go to the benchmark's
    heads.

    Args:
        shared_rank: Rank of the task-agnostic LoRA (64 in the reference's
            best setting).
        task_rank: Rank of the task-specific LoRA (4 in the reference).
        scale: Multiplier of every LoRA term (4 in the reference).
        dropout: Dropout on LoRA inputs.
        shared_targets, task_targets: Linear roles adapted by each kind.
        unfreeze: Substrings of backbone parameter names to train as well.
        stream_mode: ``'matrix'`` or ``'rerun'`` (see above).
    """

    own_run_mode = RunMode.TASK_STREAMS

    def __init__(self,
                 shared_rank: int = 64,
                 task_rank: int = 4,
                 scale: float = 4.0,
                 dropout: float = 0.05,
                 shared_targets: Sequence[str] = ('qkv', 'proj', 'fc1', 'fc2'),
                 task_targets: Sequence[str] = ('proj', 'fc1', 'fc2'),
                 unfreeze: Sequence[str] = ('patch_embed', 'norm',
                                            'downsample.reduction',
                                            'relative_position_bias_table'),
                 stream_mode: str = 'matrix',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, targets in (('shared_targets', shared_targets),
                              ('task_targets', task_targets)):
            if len(set(targets)) != len(tuple(targets)):
                raise ValueError(f'{name} must be distinct Linear roles, '
                                 f'got {tuple(targets)}')
        self.shared_rank, self.task_rank = shared_rank, task_rank
        self.scale, self.dropout = scale, dropout
        self.shared_targets = tuple(shared_targets)
        self.task_targets = tuple(task_targets)
        self.unfreeze = tuple(unfreeze)
        check_choice('stream_mode', stream_mode, STREAM_MODES)
        self.stream_mode = stream_mode
        self.shared = nn.ModuleList()
        self.task = nn.ModuleDict()
        self.unfrozen: List[str] = []
        self._stream: Optional[str] = None
        self._outputs: Dict[Tuple[int, str], torch.Tensor] = {}
        # (stage, Linear role) -> the shared pass's frozen output and
        # shared term of that Linear in the stage's last block
        self._shared: Dict[Tuple[int, str],
                           Tuple[torch.Tensor, Optional[torch.Tensor]]] = {}

    def attach(self,
               backbone: nn.Module,
               tasks: Sequence[str],
               arch: Optional[ArchDescription] = None) -> None:
        super().attach(backbone, tasks, arch)
        for name, p in backbone.named_parameters():
            if any(pattern in name for pattern in self.unfreeze):
                p.requires_grad = True
                self.unfrozen.append(name)

    def check_backbone(self, arch: ArchDescription) -> None:
        arch.require_linears(
            self.name,
            list(dict.fromkeys(self.shared_targets + self.task_targets)))

    def build_modules(self, backbone: nn.Module,
                      arch: ArchDescription) -> None:

        def branch(linear, rank):
            return LoRABranch(
                linear.in_features,
                linear.out_features,
                rank,
                branch_norm=False,
                scale=self.scale,
                dropout=self.dropout)

        for s, blocks in enumerate(arch.stages):
            self.shared.append(
                self.in_stage(
                    s,
                    nn.ModuleList(
                        nn.ModuleDict({
                            n: branch(lin, self.shared_rank)
                            for n, lin in b.linears.items()
                            if n in self.shared_targets
                        }) for b in blocks)))
        for t in self.tasks:
            self.task[t] = nn.ModuleList(
                self.in_stage(
                    s,
                    nn.ModuleDict({
                        n: branch(lin, self.task_rank)
                        for n, lin in blocks[-1].linears.items()
                        if n in self.task_targets
                    })) for s, blocks in enumerate(arch.stages))

    def install_hooks(self, backbone: nn.Module,
                      arch: ArchDescription) -> List:
        handles = []
        for info in arch.blocks:
            last = info.index == len(arch.stages[info.stage]) - 1
            for name, linear in info.linears.items():
                if last and name in self.shared_targets + self.task_targets:
                    handles += replace_linear_output(
                        linear,
                        partial(self._last_block, info.stage, info.index,
                                name))
                elif name in self.shared_targets:
                    handles += add_linear_branch(
                        linear, self.shared[info.stage][info.index][name])
            if last:
                handles.append(
                    info.block.register_forward_hook(
                        partial(self._task_streams, info.stage)))
        return handles

    def _last_block(self, stage: int, index: int, name: str, x: torch.Tensor,
                    frozen: torch.Tensor) -> torch.Tensor:
        """A Linear of a stage's last block: ``frozen = W x + b``; in the
        shared pass ``x`` is the shared input, in a stream the stream's."""
        shared = self.shared[stage][index]
        if self._stream is None:  # the shared pass
            term = shared[name](x) if name in shared else None
            self._shared[stage, name] = (frozen, term)
            return frozen if term is None else frozen + term
        task = self.task[self._stream][stage]
        if self.stream_mode == 'rerun':
            out = frozen + shared[name](x) if name in shared else frozen
            return out + task[name](x) if name in task else out
        frozen_shared, term = self._shared[stage, name]
        if name in task:
            return frozen_shared + task[name](x)
        # not task-adapted (qkv): the shared pass's output, so attention
        # is the shared stream's
        return frozen_shared if term is None else frozen_shared + term

    def _task_streams(self, stage: int, block: nn.Module, args,
                      output) -> None:
        """After the shared last block of a stage, run it once per task.

        The streams call ``block.forward``, not ``block(...)``: the block's
        own hooks (this one) do not run again, so there is no re-entry,
        while the hooks of its Linear layers do, and give each Linear its
        stream output (:meth:`_last_block`; :attr:`_stream` names the
        task).
        """
        for task in self.tasks:
            self._stream = task
            try:
                self._outputs[stage, task] = block.forward(*args)
            finally:
                self._stream = None

    def finish_pass(self, task: Optional[str]) -> None:
        self._outputs.clear()
        self._shared.clear()

    def task_features(self, task: str, feats, out_indices) -> tuple:
        """Replace each output by the task's stream output of its stage,
        laid out like the shared output."""
        return tuple(
            tokens_as_feature_map(self._outputs[norm.stage, task], x)
            for norm, x in zip(self.arch.out_norms, feats))

    def init_weights(self) -> None:
        super().init_weights()
        for m in self.modules():
            if isinstance(m, LoRABranch):
                m.reset_parameters('kaiming')
