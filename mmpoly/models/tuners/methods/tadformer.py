"""TADFormer (Baek et al., CVPR 2025): task-adaptive dynamic transformer
for efficient multi-task learning, on MTLoRA's task streams."""
from functools import partial
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ....registry import TUNERS
from ...archs import ArchDescription, BlockInfo
from ..base import SharedLinear, TaskStreamTuner, check_choice
from ..layers import (FILTER_KINDS, DynamicTaskFilter, LoRABranch,
                      naive_task_filter)
from ..sites import ForwardOverride, add_linear_branch, frozen_linear

#: The Linear layers of a stage's last block with task-adaptive terms.
TASK_ADAPTED = ('proj', 'fc1', 'fc2')
LINEARS = ('qkv', ) + TASK_ADAPTED


@TUNERS.register_module()
class TADFormer(TaskStreamTuner):
    """Shared LoRA, task prompts and task-adaptive filtered streams.

    - **Shared LoRA** ``4 B A drop(x)`` (rank ``rank``) on ``qkv, proj,
      fc1, fc2`` of every block; the backbone runs once for all tasks.
    - **Task prompts**: one token per task (``(1, C_1)`` each), prepended
      to every attention window from the first block on and carried
      through every block: their attention outputs (after ``proj``) are
      averaged over the windows of each image, and ``p <- p + DP(MLP(
      LN2(attention output)))`` (the block's frozen MLP with the shared
      LoRA, no attention residual; skipped in the network's last block);
      at each patch merging ``p <- task_prompts_up p`` (``C -> 2C``, no
      bias). The tokens attend to the prompts (relative-position bias and
      shift mask on the token-token block only).
    - In the **last block of every stage** each task gets a stream, as in
      MTLoRA's ``'matrix'`` mode, whose adapted Linear is
      ``y_t = W x_shared + b + 4 B F_t(A x_t)`` with the **shared** ``A``
      and ``B`` of that Linear, ``F_t`` a depthwise 3x3 filter of the
      rank-``r`` map (per window at ``proj``, on the token grid at ``fc1``
      and ``fc2``; ``filter``: ``'dynamic'``, one kernel-generating filter
      per Linear shared by the tasks, or ``'naive'``, a plain one per
      task). ``x_t`` at ``proj`` comes from the *task-prompted
      convolution*: with ``o`` the attention output (``attn @ v``, after
      the shared LoRA's dropout) and ``a_t = q_{prompt t} k_token^T`` the
      raw logits, ``f_t = GELU(a_t) ⊙ o`` head by head and ``x_t =
      prompt_layernorm(o + f_t)``; at ``fc1`` it is the norm of the
      stream's ``u_t = shortcut + DP(proj_t)``, at ``fc2`` the activation of
      its ``fc1``; the stream's output is ``z_t = u_t + DP(fc2_t)``.
    - **Gate**: the task's stage feature is ``σ(g_s) f_t + (1 - σ(g_s))
      z_t`` (``f_t`` in token layout, ``g_s`` one scalar per stage, 0 at
      first), then the stage's patch merging when the backbone's outputs
      are taken after it.
    - As in the reference, the backbone's patch embedding, LayerNorms and
      relative-position tables train too (``unfreeze``); the merge
      reductions stay frozen.

    Shared: LoRA, ``prompt_layernorm`` (one per block, as the reference
    builds it, used in the last blocks), ``task_prompts_up``,
    ``prompt_gate``, dynamic filters; per task: the prompt tokens and naive
    filters. With Swin-T and four tasks: ``70,656 r + 108 r² + 324 r +
    396,292`` tuner parameters (dynamic) or ``71,136 r + 396,292``
    (naive), plus 51,258 unfrozen backbone parameters. Needs window
    attention that carries task prompts (Swin v1).

    Args:
        rank: Rank ``r`` of the shared LoRA (16, 32, 64 in the paper).
        scale: Multiplier of every low-rank term (4 in the reference).
        dropout: Dropout on the shared LoRA's inputs.
        filter: ``'dynamic'`` or ``'naive'`` (see above).
        unfreeze: Substrings of backbone parameter names to train as well.
    """

    #: The prompts carried from block to block and what a stage's last
    #: block hands to its streams: a block recomputed by activation
    #: checkpointing reads (and moves) them as in its pass.
    pass_state_attrs = TaskStreamTuner.pass_state_attrs + (
        '_prompts', '_grids', '_attended', '_proj_input', '_skips')

    def __init__(self,
                 rank: int = 64,
                 scale: float = 4.0,
                 dropout: float = 0.05,
                 filter: str = 'dynamic',
                 unfreeze: Sequence[str] = ('patch_embed', 'norm',
                                            'relative_position_bias_table'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(unfreeze=unfreeze, init_cfg=init_cfg)
        if rank < 1:
            raise ValueError(f'TADFormer rank must be positive, got {rank}')
        check_choice('filter', filter, FILTER_KINDS)
        self.rank, self.scale, self.dropout = rank, scale, dropout
        self.filter = filter
        self.shared = nn.ModuleList()
        self.prompt_layernorm = nn.ModuleList()
        self.task_prompts = nn.ParameterDict()
        self.task_prompts_up = nn.ModuleList()
        self.prompt_gate = nn.ParameterList()
        self.filters = nn.ModuleList()
        # per pass: the prompts (B, T, C) entering the next block; per
        # stage the last block's attention (o, logits) and dropped proj
        # input and token grid; per (stage, task) the stream's skip feature
        # (windows)
        self._prompts: Optional[torch.Tensor] = None
        self._grids: Dict[int, Tuple[int, int]] = {}
        self._attended: Dict[int, Tuple[torch.Tensor, torch.Tensor]] = {}
        self._proj_input: Dict[int, torch.Tensor] = {}
        self._skips: Dict[Tuple[int, str], torch.Tensor] = {}

    # ------------------------------------------------------------ set-up
    def check_backbone(self, arch: ArchDescription) -> None:
        arch.require_task_prompt_attention(self.name)
        arch.require_linears(self.name, LINEARS)
        if arch.token_grid is None:
            arch.refuse(self.name, "the grid of its blocks' tokens",
                        'mmpoly does not read it for this family')

    def build_modules(self, backbone: nn.Module,
                      arch: ArchDescription) -> None:
        r = self.rank
        self.shared = self.per_block(
            arch, lambda info: nn.ModuleDict({
                n:
                LoRABranch(
                    info.linears[n].in_features,
                    info.linears[n].out_features,
                    r,
                    branch_norm=False,
                    scale=self.scale,
                    dropout=self.dropout)
                for n in LINEARS
            }))
        self.prompt_layernorm = self.per_block(
            arch, lambda info: nn.LayerNorm(info.dims))
        widths = arch.widths
        for t in self.tasks:
            self.task_prompts[t] = self.in_stage(
                0, nn.Parameter(torch.zeros(1, widths[0])))
        self.task_prompts_up = nn.ModuleList(
            self.in_stage(s, nn.Linear(widths[s], widths[s + 1], bias=False))
            for s in range(len(widths) - 1))
        self.prompt_gate = nn.ParameterList(
            self.in_stage(s, nn.Parameter(torch.zeros(1)))
            for s in range(len(widths)))

        def task_filter() -> nn.Module:
            if self.filter == 'dynamic':
                return DynamicTaskFilter(r)
            return nn.ModuleDict({t: naive_task_filter(r) for t in self.tasks})

        self.filters = nn.ModuleList(
            self.in_stage(
                s, nn.ModuleDict({n: task_filter()
                                  for n in TASK_ADAPTED}))
            for s in range(len(widths)))

    def block_hooks(self, info: BlockInfo) -> List:
        handles = [
            ForwardOverride(info.attention, partial(self._attention, info))
        ]
        if info.stage == 0 and info.index == 0:
            handles.append(
                info.block.register_forward_pre_hook(self._start_prompts))
        if self.is_last(info):
            handles.append(
                info.block.register_forward_pre_hook(
                    partial(self._keep_grid, info.stage)))
        else:
            shared = self.shared[info.stage][info.index]
            handles += [
                h for n in LINEARS
                for h in add_linear_branch(info.linears[n], shared[n])
            ]
        return handles

    def _keep_grid(self, stage: int, block: nn.Module, args) -> None:
        """The token grid of a stage's last block, before its shared pass
        (its streams call ``forward`` alone, without the hooks)."""
        self._grids[stage] = tuple(self.arch.token_grid(args))

    # ------------------------------------------------------------ prompts
    def _start_prompts(self, block: nn.Module, args) -> None:
        """The prompts entering the first block: each task's token, for
        every image."""
        prompts = torch.cat([self.task_prompts[t] for t in self.tasks])
        self._prompts = prompts.unsqueeze(0).expand(args[0].shape[0], -1, -1)

    def _attention(self,
                   info: BlockInfo,
                   x: torch.Tensor,
                   mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The block's window attention with the task prompts; updates the
        prompts for the next block. A task stream re-running a stage's last
        block reuses the shared pass's attention."""
        capability = self.arch.task_prompt_attention
        msa = info.attention
        if self.stream is not None:
            # the stream's proj (stream_linear) gives the token rows only
            return capability.project(msa, self._attended[info.stage][0])
        if self._prompts is None:
            raise RuntimeError('TADFormer prompts were not started: the '
                               'first block did not run')
        prompts = self._prompts
        norm1 = info.sublayers['attn'].norm
        o, logits = capability.attend(msa, norm1.forward(prompts), x, mask)
        if self.is_last(info):
            self._attended[info.stage] = (o, logits)
        out = capability.project(msa, o)
        images, num = prompts.shape[:2]
        attended = out[:, :num].reshape(images, -1, num, out.shape[-1])
        self._prompts = self._next_prompts(info, prompts, attended.mean(1))
        return out[:, num:]

    def _next_prompts(self, info: BlockInfo, prompts: torch.Tensor,
                      attended: torch.Tensor) -> Optional[torch.Tensor]:
        """``p + DP(MLP(LN2(attended)))`` (frozen MLP with the shared LoRA),
        then the stage's ``task_prompts_up`` after its last block; None
        after the network's last block (no later block reads them)."""
        last_stage = info.stage == len(self.arch.stages) - 1
        if last_stage and self.is_last(info):
            return None
        shared = self.shared[info.stage][info.index]

        def lora_linear(name: str, x: torch.Tensor) -> torch.Tensor:
            # computed here, not by calling the Linear: a last block's
            # Linear records what the shared pass gave it
            return frozen_linear(info.linears[name], x) + shared[name](x)

        norm2 = info.sublayers['ffn'].norm
        prompts = prompts + self.arch.task_prompt_attention.mlp_branch(
            info.block, norm2.forward(attended), partial(lora_linear, 'fc1'),
            partial(lora_linear, 'fc2'))
        if self.is_last(info):
            prompts = self.task_prompts_up[info.stage](prompts)
        return prompts

    # ----------------------------------------------------- task streams
    def shared_linear(
            self, info: BlockInfo, name: str, linear: nn.Linear,
            x: torch.Tensor) -> Tuple[Optional[torch.Tensor], torch.Tensor]:
        """Frozen plus shared LoRA; the LoRA's dropped-out input of ``proj``
        is kept for the streams' task-prompted convolution."""
        branch = self.shared[info.stage][info.index][name]
        dropped = x if branch.dropout is None else branch.dropout(x)
        if name == 'proj':
            self._proj_input[info.stage] = dropped
        frozen = frozen_linear(linear, x)
        return frozen, frozen + branch.up(branch.down(dropped)) * branch.scale

    def stream_linear(self, task: str, info: BlockInfo, name: str,
                      linear: nn.Linear, x: torch.Tensor,
                      shared: SharedLinear) -> torch.Tensor:
        """``W x_shared + b + 4 B F_t(A x_t)`` on ``proj`` (token rows only,
        ``x_t`` from :meth:`task_prompted_conv`), ``fc1`` and ``fc2``
        (``x_t = x``); ``qkv`` gives the shared pass's output."""
        if name not in TASK_ADAPTED:
            return shared.output
        stage = info.stage
        frozen = shared.frozen
        if name == 'proj':
            num = len(self.tasks)
            x, skip = self.task_prompted_conv(task, info)
            self._skips[stage, task] = skip
            frozen = frozen[:, num:]
            grid = tuple(info.attention.window_size)
        else:
            grid = self._grids[stage]
        return frozen + self.task_adaptive_term(task, info, name, x, grid)

    def task_prompted_conv(
            self, task: str,
            info: BlockInfo) -> Tuple[torch.Tensor, torch.Tensor]:
        """TPC of the stage's last block for ``task``.

        With ``o`` ``(B nW, N, C)`` the token rows of the ``proj`` input
        after the shared LoRA's dropout and ``a_t`` ``(B nW, heads, N)``
        the task prompt's raw logits over the tokens: ``f_t = GELU(a_t)``
        times the ``C / heads`` channels of each head of ``o``.

        Returns:
            ``prompt_layernorm(o + f_t)`` (the TA input of ``proj``) and
            ``f_t`` (the skip feature), both ``(B nW, N, C)``.
        """
        num = len(self.tasks)
        o = self._proj_input[info.stage][:, num:]
        logits = self._attended[info.stage][1][:, :, self.tasks.index(task)]
        b, n, c = o.shape
        heads = logits.shape[1]
        weights = F.gelu(logits).transpose(1, 2).unsqueeze(-1)
        f = (o.view(b, n, heads, c // heads) * weights).reshape(b, n, c)
        return self.prompt_layernorm[info.stage][info.index](o + f), f

    def task_adaptive_term(self, task: str, info: BlockInfo, name: str,
                           x: torch.Tensor, grid: Tuple[int,
                                                        int]) -> torch.Tensor:
        """``4 B F_t(A x)`` with the shared ``A``, ``B`` of ``name``; ``x``
        ``(N, h * w, C_in)`` tokens of ``N`` maps on the ``grid``."""
        branch = self.shared[info.stage][info.index][name]
        low = branch.down(x)
        n, _, r = low.shape
        maps = low.transpose(1, 2).reshape(n, r, *grid)
        filters = self.filters[info.stage][name]
        maps = filters(maps) if self.filter == 'dynamic' \
            else filters[task](maps)
        low = maps.flatten(2).transpose(1, 2)
        return branch.up(low) * branch.scale

    def finish_stream(self, task: str, stage: int,
                      y: torch.Tensor) -> torch.Tensor:
        """``σ(g_s) f_t + (1 - σ(g_s)) z_t``, ``f_t`` in token layout."""
        info = self.arch.stages[stage][-1]
        skip = self.arch.task_prompt_attention.windows_to_tokens(
            info.sublayers['attn'].module, self._skips.pop((stage, task)),
            self._grids[stage])
        gate = torch.sigmoid(self.prompt_gate[stage])
        return gate * skip + (1 - gate) * y

    # ------------------------------------------------------------ outputs
    def finish_pass(self, task: Optional[str]) -> None:
        super().finish_pass(task)
        self._prompts = None
        self._grids.clear()
        self._attended.clear()
        self._proj_input.clear()
        self._skips.clear()

    def init_weights(self) -> None:
        """LoRA: Kaiming-uniform ``A``, ``B = 0``; prompt tokens ~ N(1, 1)
        truncated to [-2, 2]; ``task_prompts_up`` ~ N(0, 0.02²) truncated
        to [-2, 2]; gates 0; filters and norms as built."""
        super().init_weights()
        for m in self.shared.modules():
            if isinstance(m, LoRABranch):
                m.reset_parameters('kaiming')
        for p in self.task_prompts.values():
            nn.init.trunc_normal_(p, mean=1.0, std=1.0, a=-2.0, b=2.0)
        for up in self.task_prompts_up:
            nn.init.trunc_normal_(up.weight, std=0.02, a=-2.0, b=2.0)
        for g in self.prompt_gate:
            nn.init.zeros_(g)
