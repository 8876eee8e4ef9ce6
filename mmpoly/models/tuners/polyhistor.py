"""Polyhistor: decomposed hypernetworks, one per stage (Liu et al.,
NeurIPS 2022)."""
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmseg.registry import MODELS

from .adapter_weights import AdapterWeights
from .hyper_adapter_tuner import HyperAdapterTuner, SiteKey
from .hypernetwork_layers import FullGenerator, LowRankGenerator, TaskProjector
from .swin_sites import SwinArch


class StageHyperNetwork(nn.Module):
    """A hypernetwork generating the adapters of a group of blocks.

    For block ``j`` at position ``π`` and task embedding ``e_t``:
    ``z = TaskProjector([e_t; ℓ_j; p_π])`` (the parts named in
    ``condition_on``) and, from ``z``, ``W_down`` (``d x C``), ``W_up``
    (``C x d``), biases and optional LayerNorm parameters. All blocks and
    positions of the group share the projector and generators. Generators
    are low-rank (``W = L R``, Polyhistor's decomposition) when ``rank`` is
    given, else full matrices (Hyperformer).

    Args:
        width: Width ``C`` of the blocks.
        depth: Number of blocks ``D``.
        num_positions: Adapters per block (1 or 2).
        embed_dims, hidden_dims, code_dims: ``E``, ``h``, ``P``.
        bottleneck: ``d = C / ρ``.
        rank: ``k``, or None for full generators.
        norm_generators: Also generate the adapter's LayerNorm (γ, β).
        condition_on: Embeddings concatenated as the projector's input,
            from ``('task', 'layer', 'position')``.
    """

    def __init__(
        self,
        width: int,
        depth: int,
        num_positions: int,
        embed_dims: int,
        hidden_dims: int,
        code_dims: int,
        bottleneck: int,
        rank: Optional[int],
        norm_generators: bool,
        condition_on: Sequence[str] = ('task', 'layer', 'position')
    ) -> None:
        super().__init__()
        if 'task' not in condition_on or not set(condition_on) <= {
                'task', 'layer', 'position'
        }:
            raise ValueError(f'condition_on must include "task" and only name '
                             f'task / layer / position, got {condition_on}')
        self.width, self.depth = width, depth
        self.num_positions = num_positions
        self.condition_on = tuple(condition_on)
        if 'layer' in condition_on:
            self.layer_embeds = nn.Parameter(torch.zeros(depth, embed_dims))
        if 'position' in condition_on:
            self.position_embeds = nn.Parameter(
                torch.zeros(num_positions, embed_dims))
        self.projector = TaskProjector(
            len(condition_on) * embed_dims, hidden_dims, code_dims)
        if rank is None:
            self.down = FullGenerator(code_dims, bottleneck, width)
            self.up = FullGenerator(code_dims, width, bottleneck)
        else:
            self.down = LowRankGenerator(code_dims, bottleneck, width, rank)
            self.up = LowRankGenerator(code_dims, width, bottleneck, rank)
        self.down_bias = nn.Linear(code_dims, bottleneck)
        self.up_bias = nn.Linear(code_dims, width)
        self.norm_weight = nn.Linear(code_dims, width) \
            if norm_generators else None
        self.norm_bias = nn.Linear(code_dims, width) \
            if norm_generators else None

    def forward(self, task_embed: torch.Tensor) -> Dict:
        """Generate every adapter of the group for one task.

        Args:
            task_embed: ``(E,)``.

        Returns:
            ``(block, position index)`` -> :class:`AdapterWeights`.
        """
        d, n = self.depth, self.num_positions
        parts = []
        for name in self.condition_on:
            if name == 'task':
                parts.append(task_embed.expand(d, n, -1))
            elif name == 'layer':
                parts.append(self.layer_embeds[:, None].expand(d, n, -1))
            else:
                parts.append(self.position_embeds[None].expand(d, n, -1))
        code = self.projector(torch.cat(parts, dim=-1))  # (d, n, P)
        down, up = self.down(code), self.up(code)
        down_b, up_b = self.down_bias(code), self.up_bias(code)
        gamma = self.norm_weight(code) if self.norm_weight is not None \
            else None
        beta = self.norm_bias(code) if self.norm_bias is not None else None

        def pick(w, j, k):
            return (w[0][j, k], w[1][j, k]) if isinstance(w, tuple) \
                else w[j, k]

        out = {}
        for j in range(d):
            for k in range(n):
                out[j, k] = AdapterWeights(
                    down=pick(down, j, k),
                    down_bias=down_b[j, k],
                    up=pick(up, j, k),
                    up_bias=up_b[j, k],
                    norm_weight=None if gamma is None else gamma[j, k],
                    norm_bias=None if beta is None else beta[j, k])
        return out


@MODELS.register_module()
class Polyhistor(HyperAdapterTuner):
    """Polyhistor: per-stage decomposed hypernetworks generating adapters.

    Task embeddings (shared by all stages) condition one
    :class:`StageHyperNetwork` per stage, which generates low-rank adapter
    weights for every block and position. Stage widths and depths are read
    from the backbone, so one config serves Swin-T/S/B.

    With E = h = 128, P = 64, ρ = 1, k = 16, FFN + attention adapters and no
    LayerNorm generators, Swin-T with 4 tasks has 6,411,328 parameters here
    (8,960,352 with the heads and per-task output norms), the paper's 8.96 M.

    Args:
        embed_dims: Task / layer / position embedding width ``E``.
        hidden_dims: Task projector hidden width ``h``.
        code_dims: Task projector output width ``P``.
        reduction: Adapter reduction factor ``ρ`` (``d = C / ρ``).
        rank: Rank ``k`` of the generated matrices; None generates full
            matrices (Hyperformer++, the ablation without decomposition).
        norm_generators: Generate a LayerNorm after each adapter.
        **kwargs: :class:`HyperAdapterTuner` arguments (positions,
            placement, activation, initialisation).
    """

    _stage_pattern = r'^stages\.(\d+)\.'

    def __init__(self,
                 embed_dims: int = 128,
                 hidden_dims: int = 128,
                 code_dims: int = 64,
                 reduction: int = 1,
                 rank: Optional[int] = 16,
                 norm_generators: bool = False,
                 positions: Sequence[str] = ('attn', 'ffn'),
                 **kwargs) -> None:
        super().__init__(positions=positions, **kwargs)
        self.embed_dims, self.hidden_dims = embed_dims, hidden_dims
        self.code_dims, self.reduction, self.rank = code_dims, reduction, rank
        self.norm_generators = norm_generators
        self.task_embeds: Optional[nn.Parameter] = None
        self.stages = nn.ModuleList()

    def build_modules(self, arch: SwinArch, tasks: Sequence[str]) -> None:
        self.task_embeds = nn.Parameter(
            torch.zeros(len(tasks), self.embed_dims))
        for width, depth in zip(arch.widths, arch.depths):
            if width % self.reduction:
                raise ValueError(f'stage width {width} is not divisible by '
                                 f'reduction {self.reduction}')
            self.stages.append(
                StageHyperNetwork(width, depth, len(self.positions),
                                  self.embed_dims, self.hidden_dims,
                                  self.code_dims, width // self.reduction,
                                  self.rank, self.norm_generators))

    def generate(self, task: str) -> Dict[SiteKey, AdapterWeights]:
        e = self.task_embeds[self.tasks.index(task)]
        out = {}
        for s, stage in enumerate(self.stages):
            for (j, k), w in stage(e).items():
                out[s, j, self.positions[k]] = w
        return out
