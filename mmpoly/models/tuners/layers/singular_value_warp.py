"""DiTASK's warp of a frozen weight's singular values by a CPAB
diffeomorphism."""
import math
from typing import Tuple, Union

import torch
import torch.nn as nn

from .cpab import cpab_integrate


def reduced_svd(
        matrices: torch.Tensor
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``torch.linalg.svd(matrices, full_matrices=False)``, computed the
    fast way on a CPU.

    A wide matrix is decomposed as its transpose (``W^T = V S U^T``), which
    LAPACK does several times faster. On a CPU the decomposition runs on
    one thread (the previous thread count is restored): at a
    transformer's sizes multi-threaded LAPACK gains little, and on a busy
    machine it was measured 10-20 times slower.

    Args:
        matrices: ``(..., m, n)``.

    Returns:
        ``U (..., m, k)``, ``S (..., k)`` descending, ``Vh (..., k, n)``,
        ``k = min(m, n)``.
    """
    wide = matrices.shape[-2] < matrices.shape[-1]
    if wide:
        matrices = matrices.transpose(-2, -1)
    threads = torch.get_num_threads()
    if matrices.device.type == 'cpu':
        torch.set_num_threads(1)
    try:
        U, S, Vh = torch.linalg.svd(matrices, full_matrices=False)
    finally:
        torch.set_num_threads(threads)
    if wide:
        U, Vh = Vh.transpose(-2, -1), U.transpose(-2, -1)
    return U, S, Vh


class FrozenSVD(nn.Module):
    """The reduced SVD of a frozen weight, computed once.

    ``W`` (``out x in``) is split into ``splits`` equal row blocks (3 for a
    fused ``qkv``: q, k and v), and each block is decomposed
    ``W_s = U_s diag(S_s) V_s^T`` in fp32 when the module is built, from the
    weight as loaded. The factors are non-persistent buffers: they follow
    the module's device and dtype but are not saved in state dicts (they
    are exact functions of the frozen weight, which only changes if the
    backbone is reloaded; then build the module again).

    Args:
        weight: ``(out, in)`` frozen weight.
        splits: Number of equal row blocks decomposed separately.

    Attributes:
        U: ``(splits, out / splits, k)``, ``k = min(out / splits, in)``.
        S: ``(splits, k)``, each row descending.
        Vh: ``(splits, k, in)`` (``V^T``).
    """

    def __init__(self, weight: torch.Tensor, splits: int = 1) -> None:
        super().__init__()
        if weight.dim() != 2:
            raise ValueError(f'FrozenSVD needs a 2-D weight (out, in), got '
                             f'shape {tuple(weight.shape)}')
        if splits < 1 or weight.shape[0] % splits:
            raise ValueError(f'FrozenSVD splits={splits} must divide the '
                             f'{weight.shape[0]} output rows into equal '
                             'blocks')
        blocks = weight.detach().float().reshape(splits, -1, weight.shape[1])
        if min(blocks.shape[1:]) < 2:
            raise ValueError(f'FrozenSVD needs at least 2 singular values '
                             f'per block, got blocks of shape '
                             f'{tuple(blocks.shape[1:])}')
        U, S, Vh = reduced_svd(blocks)
        self.register_buffer('U', U, persistent=False)
        self.register_buffer('S', S, persistent=False)
        self.register_buffer('Vh', Vh, persistent=False)
        self.out_features, self.in_features = weight.shape

    @property
    def rank(self) -> int:
        """``k``, the number of singular values per block."""
        return self.S.shape[-1]

    def weight_delta(self, delta_s: torch.Tensor) -> torch.Tensor:
        """``U diag(delta_s) V^T`` per block, stacked back to ``(out, in)``.

        Args:
            delta_s: ``(splits, k)`` changes of the singular values.
        """
        U, Vh = self.U.to(delta_s.dtype), self.Vh.to(delta_s.dtype)
        delta = (U * delta_s.unsqueeze(-2)) @ Vh
        return delta.reshape(self.out_features, self.in_features)


class SingularValueWarp(nn.Module):
    """``W' = U diag(S') V^T``: the singular values of a frozen ``W`` moved
    along their index axis by a learned CPAB diffeomorphism ``phi_theta``.

    The ``k`` singular values are read as samples of a curve at
    ``x_i = i / (k - 1)``; ``S'_i`` is that curve (linear interpolation,
    index clamped) at ``phi_theta(x_i) (k - 1)``. ``phi_theta`` is an
    increasing bijection of [0, 1] fixing 0 and 1, so ``S'`` stays sorted
    and positive with ``S'_0 = S_0`` and ``S'_{k-1} = S_{k-1}``; with
    ``theta = 0`` it is the identity and ``W' = W``. One ``theta`` warps
    every block of the weight (q, k and v of a fused ``qkv``).

    The frozen ``W`` is used as ``W' = W + U diag(S' - S) V^T``
    (:meth:`weight_delta`), so the SVD is never recomputed.

    Args:
        svd: The frozen weight's :class:`FrozenSVD` (may be shared by the
            warps of one weight), or the weight itself.
        tess_size: ``n_c``, the number of cells of the CPAB tessellation;
            ``theta`` has ``n_c - 1`` entries.
        splits: Row blocks, when ``svd`` is a weight.
    """

    def __init__(self,
                 svd: Union[FrozenSVD, torch.Tensor],
                 tess_size: int,
                 splits: int = 1) -> None:
        super().__init__()
        if tess_size < 2:
            raise ValueError(f'SingularValueWarp tess_size must be at least '
                             f'2, got {tess_size}')
        self.svd = svd if isinstance(svd, FrozenSVD) else FrozenSVD(
            svd, splits)
        self.tess_size = tess_size
        self.theta = nn.Parameter(torch.empty(tess_size - 1))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``theta ~ U(-1/sqrt(n_c - 1), 1/sqrt(n_c - 1))`` (Kaiming-uniform
        with ``a = sqrt(5)`` over ``n_c - 1`` inputs): not the identity."""
        bound = 1 / math.sqrt(self.theta.numel())
        nn.init.uniform_(self.theta, -bound, bound)

    def positions(self) -> torch.Tensor:
        """``phi_theta(x_i) (k - 1)``, ``(k,)``, non-decreasing."""
        k = self.svd.rank
        grid = torch.arange(k, device=self.theta.device) / (k - 1)
        theta = self.theta.to(
            torch.promote_types(self.theta.dtype, torch.float32))
        warped = cpab_integrate(theta, grid)
        # the flow is monotone; cummax only removes rounding-level inversions
        return warped.cummax(0).values * (k - 1)

    def warped_singular_values(self) -> torch.Tensor:
        """``S'``, ``(splits, k)``."""
        S = self.svd.S
        k = S.shape[-1]
        pos = self.positions().clamp(0, k - 1)
        low = pos.floor().long().clamp(max=k - 2)
        frac = pos - low.to(pos.dtype)
        return S[:, low] * (1 - frac) + S[:, low + 1] * frac

    def weight_delta(self) -> torch.Tensor:
        """``W' - W = U diag(S' - S) V^T``, ``(out, in)``, fp32."""
        return self.svd.weight_delta(self.warped_singular_values() -
                                     self.svd.S)

    def extra_repr(self) -> str:
        return (f'tess_size={self.tess_size}, '
                f'splits={self.svd.S.shape[0]}, k={self.svd.rank}')
