"""DiTASK (Mantri et al., CVPR 2025): multi-task fine-tuning by warping
the singular values of frozen weights with learned diffeomorphisms."""
from functools import partial
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ....registry import TUNERS
from ...archs import ArchDescription, BlockInfo
from ..base import (MTLORA_UNFREEZE, SHARED_TARGETS, TASK_TARGETS,
                    SharedLinear, TaskStreamTuner)
from ..layers import FrozenSVD, SingularValueWarp
from ..sites import frozen_linear, override_linear


@TUNERS.register_module()
class DiTASK(TaskStreamTuner):
    """Singular-value warps on MTLoRA's layout of shared and task streams.

    Each adapted Linear keeps the singular vectors of its pretrained weight
    ``W = U diag(S) V^T`` and only moves its singular values along their
    index axis with a 1-D CPAB diffeomorphism ``phi_theta`` of [0, 1]
    (:class:`~mmpoly.models.tuners.layers.SingularValueWarp`), so it learns
    ``n_c - 1`` numbers per layer; it computes
    ``y = W' dropout(x) + b`` with ``W' = U diag(S') V^T``, the dropout on
    the whole input of the Linear. A fused ``qkv`` is decomposed as q, k
    and v separately, and one ``theta`` warps all three.

    - Task-agnostic warps (``tess_size`` cells) on ``qkv, proj, fc1, fc2``
      of every block; the backbone runs once for all tasks.
    - In the last block of every stage, each task gets its own stream
      (:class:`~mmpoly.models.tuners.base.TaskStreamTuner`) with its own
      warps (``task_tess_size`` cells) on ``proj, fc1, fc2``: there a
      task-adapted Linear computes ``y_t = W'_t dropout(x_t) + b`` on the
      stream's own input ``x_t``, with the task's warp of the pretrained
      ``W`` (the shared warp is not composed in); any other Linear
      (``qkv``) gives the shared pass's output, so attention is computed
      once.
    - Like MTLoRA, whose layout the authors follow, the patch embedding,
      every LayerNorm, the patch-merging reductions and the
      relative-position tables are trained too (``unfreeze``).

    The authors' release lacks the Swin model file, so the placement above
    is MTLoRA's (shared on every block, task warps at stage ends); the
    transform, its initialisation (``theta`` Kaiming-uniform, so the warps
    are not the identity at the start), the shared ``theta`` of q/k/v and
    the task path follow their code. Unlike their code, the SVD of each
    frozen weight is computed once, when the tuner is attached, and
    ``W' = W + U diag(S' - S) V^T`` is used, which is the same weight.

    On Swin-T with four tasks this is ``12 * 4 * 63 + 4 * 4 * 3 * 3 =
    3,168`` warp parameters (``tess_size=64``, ``task_tess_size=4``), plus
    1,599,546 unfrozen backbone tensors on MTLoRA's backbone (without
    output norms), 1,602,714 on the backbone side.

    Args:
        tess_size: Cells of the task-agnostic warps (64 in the reference).
        task_tess_size: Cells of the task-specific warps (4).
        dropout: Dropout on the input of every warped Linear (0.05).
        shared_targets, task_targets: Linear roles warped by each kind.
        unfreeze: Substrings of backbone parameter names to train as well.
            None of the warped Linear weights may be among them (their SVD
            is computed once).
        init_cfg: MMEngine initialisation config.
    """

    #: Linear roles whose weight stacks several matrices (q, k, v), each
    #: decomposed separately.
    FUSED_SPLITS = {'qkv': 3}

    def __init__(self,
                 tess_size: int = 64,
                 task_tess_size: int = 4,
                 dropout: float = 0.05,
                 shared_targets: Sequence[str] = SHARED_TARGETS,
                 task_targets: Sequence[str] = TASK_TARGETS,
                 unfreeze: Sequence[str] = MTLORA_UNFREEZE,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(unfreeze=unfreeze, init_cfg=init_cfg)
        for name, targets in (('shared_targets', shared_targets),
                              ('task_targets', task_targets)):
            if isinstance(targets, str) or len(set(targets)) != len(
                    tuple(targets)):
                raise ValueError(f'{name} must be distinct Linear roles, '
                                 f'got {targets!r}')
        for name, size in (('tess_size', tess_size), ('task_tess_size',
                                                      task_tess_size)):
            if isinstance(size, bool) or not isinstance(size, int) or size < 2:
                raise ValueError(f'{name} must be an integer of at least 2 '
                                 f'cells, got {size!r}')
        if not 0 <= dropout < 1:
            raise ValueError(f'dropout must be in [0, 1), got {dropout}')
        self.tess_size, self.task_tess_size = tess_size, task_tess_size
        self.shared_targets = tuple(shared_targets)
        self.task_targets = tuple(task_targets)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.shared = nn.ModuleList()
        self.task = nn.ModuleDict()

    # ------------------------------------------------------------ set-up
    def check_backbone(self, arch: ArchDescription) -> None:
        arch.require_linears(
            self.name,
            list(dict.fromkeys(self.shared_targets + self.task_targets)))

    def build_modules(self, backbone: nn.Module,
                      arch: ArchDescription) -> None:
        # one SVD per frozen weight, shared by its shared and task warps
        svds = {}

        def warp(name: str, linear: nn.Linear, tess: int):
            if id(linear) not in svds:
                svds[id(linear)] = FrozenSVD(linear.weight,
                                             self.FUSED_SPLITS.get(name, 1))
            return SingularValueWarp(svds[id(linear)], tess)

        self.shared = self.per_block(
            arch, lambda info: nn.ModuleDict({
                n: warp(n, lin, self.tess_size)
                for n, lin in info.linears.items() if n in self.shared_targets
            }))
        for t in self.tasks:
            self.task[t] = nn.ModuleList(
                self.in_stage(
                    s,
                    nn.ModuleDict({
                        n: warp(n, lin, self.task_tess_size)
                        for n, lin in blocks[-1].linears.items()
                        if n in self.task_targets
                    })) for s, blocks in enumerate(arch.stages))

    def attach(self,
               backbone: nn.Module,
               tasks: Sequence[str],
               arch: Optional[ArchDescription] = None) -> None:
        super().attach(backbone, tasks, arch)
        names = {id(p): n for n, p in backbone.named_parameters()}
        for info in self.arch.blocks:
            for role, linear in info.linears.items():
                if role in self.shared_targets + self.task_targets and \
                        linear.weight.requires_grad:
                    self.detach()
                    raise ValueError(
                        f'{self.name} warps the frozen weight '
                        f'{names.get(id(linear.weight), role)!r} from its '
                        'SVD computed once; it must not be trained (leave '
                        'it out of unfreeze, keep freeze_backbone=True)')

    # ------------------------------------------------------------- hooks
    def warped_linear(self, linear: nn.Linear, warp: SingularValueWarp,
                      x: torch.Tensor) -> torch.Tensor:
        """``W' dropout(x) + b`` with ``W' = W + warp.weight_delta()``."""
        weight = linear.weight + warp.weight_delta().to(linear.weight.dtype)
        return F.linear(self.dropout(x), weight, linear.bias)

    def block_hooks(self, info: BlockInfo) -> List:
        if self.is_last(info):
            return []
        warps = self.shared[info.stage][info.index]
        return [
            h for name, linear in info.linears.items() if name in warps
            for h in override_linear(
                linear, partial(self.warped_linear, linear, warps[name]))
        ]

    def shared_linear(
            self, info: BlockInfo, name: str, linear: nn.Linear,
            x: torch.Tensor) -> Tuple[Optional[torch.Tensor], torch.Tensor]:
        warps = self.shared[info.stage][info.index]
        if name in warps:
            return None, self.warped_linear(linear, warps[name], x)
        frozen = frozen_linear(linear, x)
        return frozen, frozen

    def streams_share_attention(self) -> bool:
        """A stream's ``qkv`` is the shared pass's unless it is a task
        target, so is its attention: streams start at ``proj``."""
        return 'qkv' not in self.task_targets

    def stream_linear(self, task: str, info: BlockInfo, name: str,
                      linear: nn.Linear, x: torch.Tensor,
                      shared: SharedLinear) -> torch.Tensor:
        """A task-warped Linear is ``W'_t dropout(x_t) + b`` on the stream's
        input; any other Linear (``qkv``) gives the shared pass's
        output."""
        warps = self.task[task][info.stage]
        if name in warps:
            return self.warped_linear(linear, warps[name], x)
        return shared.output
