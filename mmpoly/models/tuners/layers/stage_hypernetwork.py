"""The hypernetwork of a group of blocks, shared by Hyperformer (one per
block), Hyperformer++ and Polyhistor (one per stage)."""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from .adapter_weights import AdapterWeights
from .hypernetwork_layers import AdapterGenerators, TaskProjector

CONDITIONS = ('task', 'layer', 'position')


class StageHyperNetwork(nn.Module, AdapterGenerators):
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

    embedding_names = ('layer_embeds', 'position_embeds')

    def __init__(self,
                 width: int,
                 depth: int,
                 num_positions: int,
                 embed_dims: int,
                 hidden_dims: int,
                 code_dims: int,
                 bottleneck: int,
                 rank: Optional[int],
                 norm_generators: bool,
                 condition_on: Sequence[str] = CONDITIONS) -> None:
        super().__init__()
        if 'task' not in condition_on or not set(condition_on) <= set(
                CONDITIONS):
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
        self.build_generators(code_dims, width, bottleneck, rank,
                              norm_generators)

    def forward(
            self,
            task_embed: torch.Tensor) -> Dict[Tuple[int, int], AdapterWeights]:
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
        down, up, down_b, up_b, gamma, beta = self.generate_tensors(code)

        def pick(w, j, k):
            return (w[0][j, k], w[1][j, k]) if isinstance(w, tuple) \
                else w[j, k]

        return {
            (j, k):
            AdapterWeights(
                down=pick(down, j, k),
                down_bias=down_b[j, k],
                up=pick(up, j, k),
                up_bias=up_b[j, k],
                norm_weight=None if gamma is None else gamma[j, k],
                norm_bias=None if beta is None else beta[j, k])
            for j in range(d)
            for k in range(n)
        }
