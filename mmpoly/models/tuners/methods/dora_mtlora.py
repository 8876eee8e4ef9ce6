"""DoRA in MTLoRA's layout: every low-rank branch of MTLoRA becomes a
weight-decomposed (DoRA) branch."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from ....registry import TUNERS
from ...archs import ArchDescription, BlockInfo
from ..base import SharedLinear, TaskStreamTuner
from ..layers import DoRABranch
from ..sites import frozen_linear, replace_linear_output
from .mtlora import MTLoRA


@TUNERS.register_module()
class DoRAMTLoRA(MTLoRA):
    """MTLoRA with DoRA branches in place of its LoRA branches.

    The layout is :class:`MTLoRA`'s (one backbone pass, task streams in the
    last block of every stage, the same trained backbone tensors), and
    every branch is a :class:`~mmpoly.models.tuners.layers.DoRABranch`:
    a magnitude ``m`` per output unit (initialised to the row norms of the
    pretrained weight) and a low-rank update ``s·B A`` of the direction,
    with ``n = ‖W + s·B A‖`` per output unit a constant of the step.

    - Shared DoRA (rank ``shared_rank``) on ``qkv, proj, fc1, fc2`` of
      every block, applied to the shared stream:
      ``y = W x + b + (m/n − 1) ⊙ (W x') + (m/n) ⊙ s·B A x'``,
      ``x' = dropout(x)``.
    - Task DoRA (rank ``task_rank``) on ``proj, fc1, fc2`` of each stage's
      last block. MTLoRA's task stream ('matrix' rule) is
      ``y_t = W x_s + b + s·B_t A_t x_t`` (the frozen weight on the shared
      pass's input ``x_s``, the task's term on the stream's input ``x_t``).
      Here the task's Linear is the DoRA form of ``W + s·B_t A_t`` with the
      ``W`` part on the shared input:
      ``y_t = W x_s + b + (m_t/n_t − 1) ⊙ (W x'_s) + (m_t/n_t) ⊙ s·B_t A_t
      x'_t``, one dropout mask for ``x'_s`` and ``x'_t``. This stream rule
      is our reconstruction (neither MTLoRA nor DoRA define one); where
      ``x_t = x_s`` (``proj``) it is exactly DoRA on the shared input.
    - MTLoRA+ (``merge_rank``): shared DoRA on each patch merging's
      reduction.

    Counts on Swin-T with 4 tasks: MTLoRA's plus the magnitudes, ``9·C``
    per block for the shared branches and ``6·C`` per task and stage for
    the task ones (74,304 in all).

    Merging (:meth:`merge`, for inference): the shared DoRA is folded into
    the weights of every shared-adapted Linear except the task-adapted
    ones of each stage's last block (``proj``, ``fc1``, ``fc2`` there: the
    task streams need the frozen ``W`` on the shared input, so these keep
    their branches), i.e. ``qkv, proj, fc1, fc2`` of every other block and
    ``qkv`` of the last blocks. The backbone then runs with those weights
    replaced by ``diag(m/n)·(W + s·B A)`` (:meth:`parameter_overrides`)
    and their branches stand aside. The patch-merging branches of MTLoRA+
    are not merged either: the task streams' features pass through the
    patch merging after the backbone's pass, outside the replaced weights.
    The task branches are never merged. The frozen weights themselves are
    never written: :meth:`unmerge` only switches back. Merged and unmerged
    outputs are equal up to rounding without dropout (always in eval mode).

    Args:
        stream_mode: Only ``'matrix'`` (MTLoRA's ``'rerun'`` has no DoRA
            counterpart).
        **kwargs: :class:`MTLoRA`'s arguments (``shared_rank``,
            ``task_rank``, ``scale``, ``dropout``, the targets,
            ``unfreeze``, ``merge_rank``); each branch is a DoRA branch of
            that rank.
    """

    def __init__(self, stream_mode: str = 'matrix', **kwargs) -> None:
        if stream_mode != 'matrix':
            raise ValueError(f"DoRAMTLoRA stream_mode must be 'matrix', got "
                             f'{stream_mode!r}')
        super().__init__(stream_mode=stream_mode, **kwargs)
        self.merged = False
        # the merged Linears: (stage, block, role, the Linear, its name)
        self._merge_sites: List[Tuple[int, int, str, nn.Linear, str]] = []

    def _branch(self, linear: nn.Linear, rank: int) -> DoRABranch:
        return DoRABranch(linear, rank, self.scale, self.dropout)

    def _mergeable(self, info: BlockInfo, name: str) -> bool:
        """Whether the shared branch of ``info``'s Linear ``name`` is
        folded into its weight when merged (not where streams need W)."""
        return not (self.is_last(info) and name in self.task_targets)

    # -------------------------------------------------------------- hooks
    def install_hooks(self, backbone: nn.Module,
                      arch: ArchDescription) -> List:
        # MTLoRA's own install_hooks adds LoRA-style terms on the patch
        # mergings: the streams' mechanism is the base's, the merging
        # terms are DoRA terms here
        handles = TaskStreamTuner.install_hooks(self, backbone, arch)
        for branch, linear in zip(self.merge_lora, arch.merge_linears):
            handles += self._add_dora(linear, branch, mergeable=False)
        names = {id(m): n for n, m in backbone.named_modules()}
        self._merge_sites = [(info.stage, info.index, name, linear,
                              names[id(linear)]) for info in arch.blocks
                             for name, linear in info.linears.items()
                             if name in self.shared[info.stage][info.index]
                             and self._mergeable(info, name)]
        return handles

    def _add_dora(self, linear: nn.Linear, branch: DoRABranch,
                  mergeable: bool) -> List:
        """``W x + b`` plus the branch's term, except when the branch is
        merged into the weight."""

        def adapted(x: torch.Tensor, frozen: torch.Tensor) -> torch.Tensor:
            if mergeable and self.merged:
                return frozen
            return frozen + branch(x, frozen, linear)

        return replace_linear_output(linear, adapted)

    def block_hooks(self, info: BlockInfo) -> List:
        if self.is_last(info):
            return []
        shared = self.shared[info.stage][info.index]
        return [
            h for name, linear in info.linears.items() if name in shared
            for h in self._add_dora(linear, shared[name], mergeable=True)
        ]

    def shared_linear(
            self, info: BlockInfo, name: str, linear: nn.Linear,
            x: torch.Tensor) -> Tuple[Optional[torch.Tensor], torch.Tensor]:
        frozen = frozen_linear(linear, x)
        shared = self.shared[info.stage][info.index]
        if name not in shared:
            return frozen, frozen
        if self.merged and self._mergeable(info, name):
            return None, frozen  # the weight is the merged one
        return frozen, frozen + shared[name](x, frozen, linear)

    def stream_linear(self, task: str, info: BlockInfo, name: str,
                      linear: nn.Linear, x: torch.Tensor,
                      shared: SharedLinear) -> torch.Tensor:
        """A task-adapted Linear: the frozen output of the shared input
        plus the task's DoRA term, whose ``W`` part is on the shared input
        and low-rank part on the stream's ``x``; any other Linear
        (``qkv``) gives the shared pass's output."""
        task_terms = self.task[task][info.stage]
        if name not in task_terms:
            return shared.output
        return shared.frozen + task_terms[name](
            x, shared.frozen, linear, base_input=shared.input)

    # ---------------------------------------------------------------- merge
    def merge(self) -> None:
        """Run with the shared DoRA folded into the Linears listed in the
        class docstring."""
        self.merged = True

    def unmerge(self) -> None:
        """Run with every branch again (no weight was changed)."""
        self.merged = False

    def parameter_overrides(self,
                            task: Optional[str]) -> Dict[str, torch.Tensor]:
        """When merged, ``<linear>.weight`` -> ``diag(m/n)·(W + s·B A)`` of
        its shared branch, for the merged Linears."""
        if not self.merged:
            return {}
        return {
            f'{path}.weight':
            self.shared[stage][index][name].merged_weight(linear)
            for stage, index, name, linear, path in self._merge_sites
        }

    def init_weights(self) -> None:
        super().init_weights()
        for m in self.modules():
            if isinstance(m, DoRABranch):
                m.reset_parameters('kaiming')
