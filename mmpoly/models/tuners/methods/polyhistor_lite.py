"""Polyhistor-Lite: one global decomposed hypernetwork + layer-wise scaling
kernels (Liu et al., NeurIPS 2022)."""
from typing import Dict

import torch
import torch.nn as nn
from ....registry import TUNERS

from ..base import HyperAdapterTuner, SiteKey, check_reduction
from ..layers import (AdapterGenerators, AdapterWeights, KroneckerFactors,
                      TaskProjector, kron_sum_vector)
from ..layers.adapter_weights import Weight
from ...archs import ArchDescription


class StageScalingKernels(nn.Module):
    """Layer embeddings and scaling kernels of the blocks of one stage.

    A stage of width ``C_s = s C_1`` has, per block, a layer-embedding matrix
    ``Λ (s x E)`` and, per block and position, a weight kernel
    ``K (s x s x s)`` shared by the up and down projections, a bias kernel
    ``(s x s x 1)`` shared by both biases and, with LayerNorm generators, a
    ``(s x s x 1)`` kernel shared by γ and β. Stage 1 (``s = 1``) has no
    kernels: it uses the templates directly.
    """

    embedding_names = ('layer_embeds', 'weight_kernels', 'bias_kernels',
                       'norm_kernels')

    def __init__(self, scale: int, depth: int, num_positions: int,
                 embed_dims: int, norm_generators: bool) -> None:
        super().__init__()
        self.scale = scale
        self.layer_embeds = nn.Parameter(torch.zeros(depth, scale, embed_dims))
        if scale > 1:
            shape = (depth, num_positions, scale, scale)
            self.weight_kernels = nn.Parameter(torch.zeros(*shape, scale))
            self.bias_kernels = nn.Parameter(torch.zeros(*shape))
            self.norm_kernels = nn.Parameter(torch.zeros(
                *shape)) if norm_generators else None


@TUNERS.register_module()
class PolyhistorLite(HyperAdapterTuner, AdapterGenerators):
    """Polyhistor-Lite: template adapters at the first stage's width, scaled
    to every stage by Kronecker products.

    One global task projector and low-rank generators produce template
    kernels ``T_i`` at width ``C_1`` (``(C_1/ρ) x C_1`` down,
    ``C_1 x (C_1/ρ)`` up, plus biases and optional LayerNorm parameters),
    row ``i`` of a block's ``Λ`` giving ``T_i``. A block of a stage with
    ``s = C_s / C_1`` has ``W = sum_i K_i ⊗ T_i`` (``(C_s/ρ) x C_s``), which
    is applied to tokens through its factors (``T_i = L_i R_i``, see
    :class:`~..layers.KroneckerFactors`) without being assembled, unless
    the assembled matrix costs fewer multiply-adds per token (``k`` above
    about ``C_1 d / (C_1 + d)``, ``d = C_1 / ρ``); the first stage's
    templates likewise stay ``L R``.
    Widths come from the backbone (Swin-B's 128 base width works); every
    stage width must be an integer multiple of the first.

    Args:
        rank: Rank ``k`` of the generated templates.
        **kwargs: :class:`~..base.HyperAdapterTuner` arguments (embedding,
            projector and code widths, reduction, LayerNorm generators,
            positions, placement, activation, initialisation).
    """

    embedding_names = ('task_embeds', 'position_embeds')

    def __init__(self, rank: int = 16, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rank = rank

    def build_modules(self, backbone: nn.Module,
                      arch: ArchDescription) -> None:
        base = arch.widths[0]
        check_reduction(self.reduction, [base])
        scales = []
        for w in arch.widths:
            if w % base:
                raise ValueError(f'stage width {w} is not a multiple of the '
                                 f'first stage width {base}')
            scales.append(w // base)
        e, p, n = self.embed_dims, self.code_dims, len(self.positions)
        d = base // self.reduction
        self.task_embeds = nn.Parameter(torch.zeros(len(self.tasks), e))
        self.position_embeds = nn.Parameter(torch.zeros(n, e))
        self.projector = TaskProjector(3 * e, self.hidden_dims, p)
        self.build_generators(
            p, base, d, rank=self.rank, norm_generators=self.norm_generators)
        self.stage_kernels = nn.ModuleList(
            self.in_stage(
                i, StageScalingKernels(s, depth, n, e, self.norm_generators))
            for i, (s, depth) in enumerate(zip(scales, arch.depths)))

    def generate(self, task: str) -> Dict[SiteKey, AdapterWeights]:
        e_t = self.task_embeds[self.tasks.index(task)]
        out = {}
        for s_idx, ks in enumerate(self.stage_kernels):
            out.update(self._generate_stage(s_idx, ks, e_t))
        return out

    def _generate_stage(self, stage: int, ks: StageScalingKernels,
                        e_t: torch.Tensor) -> Dict[SiteKey, AdapterWeights]:
        lam = ks.layer_embeds  # (D, s, E)
        depth, s = lam.shape[:2]
        n = len(self.positions)
        shape = (depth, n, s, -1)
        cond = torch.cat([
            e_t.expand(*shape[:3], -1), lam[:, None].expand(*shape),
            self.position_embeds[None, :, None].expand(*shape)
        ],
                         dim=-1)
        code = self.projector(cond)  # (D, n, s, P)
        down, up, b_down, b_up, gamma, beta = self.generate_tensors(code)
        if s == 1:
            down, up = _template(*down), _template(*up)
            b_down, b_up = b_down[:, :, 0], b_up[:, :, 0]
            if gamma is not None:
                gamma, beta = gamma[:, :, 0], beta[:, :, 0]
        else:
            k = ks.weight_kernels  # (D, n, s, s, s)
            if not torch.is_grad_enabled():
                # a view of a parameter keeps requires_grad even under
                # no_grad: cached weights (traced, e.g. by the FLOP
                # counter) must not hold one
                k = k.detach()
            down, up = _scaled(k, *down), _scaled(k, *up)
            b_down = kron_sum_vector(ks.bias_kernels, b_down)
            b_up = kron_sum_vector(ks.bias_kernels, b_up)
            if gamma is not None:
                gamma = kron_sum_vector(ks.norm_kernels, gamma)
                beta = kron_sum_vector(ks.norm_kernels, beta)
        out = {}
        for j in range(depth):
            for i, pos in enumerate(self.positions):
                out[stage, j, pos] = AdapterWeights(
                    down=_site(down, j, i),
                    down_bias=b_down[j, i],
                    up=_site(up, j, i),
                    up_bias=b_up[j, i],
                    norm_weight=None if gamma is None else gamma[j, i],
                    norm_bias=None if beta is None else beta[j, i])
        return out


def _template(left: torch.Tensor, right: torch.Tensor) -> Weight:
    """The first stage's ``(D, n)`` templates ``L R`` (from the factors
    ``(D, n, 1, rows, k)``, ``(D, n, 1, k, cols)``): kept as factors
    where applying them costs fewer multiply-adds per token than the full
    matrix (``k (rows + cols) <= rows cols``), else multiplied out."""
    left, right = left[:, :, 0], right[:, :, 0]
    rows, k = left.shape[-2:]
    if k * (rows + right.shape[-1]) <= rows * right.shape[-1]:
        return left, right
    return left @ right


def _scaled(kernels: torch.Tensor, left: torch.Tensor,
            right: torch.Tensor) -> Weight:
    """The ``(D, n)`` Kronecker sums ``sum_i K_i ⊗ L_i R_i`` of a scaled
    stage, in the form that is cheaper to apply to a token: kept as
    :class:`KroneckerFactors` or assembled (``(D, n, rows, cols)``)."""
    factors = KroneckerFactors(kernels, left, right)
    factored, dense = factors.macs_per_token()
    return factors if factored <= dense else factors.dense()


def _site(weight: Weight, block: int, position: int) -> Weight:
    """One site's matrix from a stage's ``(D, n)`` matrices."""
    if isinstance(weight, tuple):
        return weight[0][block, position], weight[1][block, position]
    return weight[block, position]
