"""Sums of Kronecker products, the assembly used by scaling kernels and PHM
layers, and such a sum of low-rank templates applied without assembling
it."""
from dataclasses import dataclass
from typing import Optional, Tuple

import torch
import torch.nn.functional as F


def kron_sum(kernels: torch.Tensor, templates: torch.Tensor) -> torch.Tensor:
    """``W = sum_i kernels[i] ⊗ templates[i]`` (kernel in front).

    Args:
        kernels: ``(..., n, a, b)``: ``n`` kernels of size ``a x b``.
        templates: ``(..., n, c, d)``: ``n`` templates of size ``c x d``.
            Leading dimensions broadcast.

    Returns:
        ``(..., a * c, b * d)`` with block ``(p, q)`` equal to
        ``sum_i kernels[i, p, q] * templates[i]``.
    """
    if kernels.shape[-3] != templates.shape[-3]:
        raise ValueError(f'{kernels.shape[-3]} kernels but '
                         f'{templates.shape[-3]} templates')
    a, b = kernels.shape[-2:]
    c, d = templates.shape[-2:]
    out = torch.einsum('...iab,...icd->...acbd', kernels, templates)
    return out.reshape(*out.shape[:-4], a * c, b * d)


def kron_sum_vector(kernels: torch.Tensor,
                    templates: torch.Tensor) -> torch.Tensor:
    """``v = sum_i kernels[i] ⊗ templates[i]`` for column kernels.

    Args:
        kernels: ``(..., n, a)`` (i.e. ``n`` kernels of size ``a x 1``).
        templates: ``(..., n, c)`` template vectors.

    Returns:
        ``(..., a * c)``.
    """
    return kron_sum(kernels[..., None], templates[..., None])[..., 0]


@dataclass
class KroneckerFactors:
    """``W = sum_i K_i ⊗ (L_i R_i)`` kept as its factors.

    A sum of ``n`` Kronecker products of kernels ``K_i`` (``a x b``) with
    rank-``k`` templates ``T_i = L_i R_i`` (``c x d``), ``W`` being
    ``(a c) x (b d)``. :meth:`linear` applies it to tokens without forming
    ``W``: with ``x`` cut into ``b`` chunks ``x_q`` of width ``d``, output
    chunk ``p`` is ``sum_i L_i (sum_q K_i[p, q] (R_i x_q))``, which costs
    ``n k (b d + a b + a c)`` multiply-adds per token instead of
    ``a b c d`` (:meth:`macs_per_token`).

    Leading dimensions (e.g. block and position) are allowed for storage
    and indexing (``factors[j, i]``); :meth:`linear` takes one matrix.

    Attributes:
        kernels: ``(..., n, a, b)``.
        left: ``(..., n, c, k)``.
        right: ``(..., n, k, d)``.
    """
    kernels: torch.Tensor
    left: torch.Tensor
    right: torch.Tensor

    def __post_init__(self) -> None:
        n, a, b = self.kernels.shape[-3:]
        if not (self.left.shape[-3] == self.right.shape[-3] == n
                and self.left.shape[-1] == self.right.shape[-2]):
            raise ValueError(
                f'KroneckerFactors: kernels {tuple(self.kernels.shape)}, '
                f'left {tuple(self.left.shape)} and right '
                f'{tuple(self.right.shape)} are not (n, a, b), (n, c, k), '
                '(n, k, d)')

    def __getitem__(self, index) -> 'KroneckerFactors':
        """The factors at ``index`` of the leading dimensions."""
        return KroneckerFactors(self.kernels[index], self.left[index],
                                self.right[index])

    @property
    def shape(self) -> Tuple[int, int]:
        """``(a c, b d)``: the size of ``W``."""
        a, b = self.kernels.shape[-2:]
        return a * self.left.shape[-2], b * self.right.shape[-1]

    def macs_per_token(self) -> Tuple[int, int]:
        """Multiply-adds of ``W x`` for one token: ``(factored, dense)``."""
        n, a, b = self.kernels.shape[-3:]
        c, k = self.left.shape[-2:]
        d = self.right.shape[-1]
        return n * k * (b * d + a * b + a * c), a * b * c * d

    def dense(self) -> torch.Tensor:
        """``W`` assembled: ``(..., a c, b d)``."""
        return kron_sum(self.kernels, self.left @ self.right)

    def linear(self,
               x: torch.Tensor,
               bias: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``x @ W^T + bias`` without forming ``W``.

        Args:
            x: ``(..., b d)`` tokens.
            bias: ``(a c,)`` or None.

        Returns:
            ``(..., a c)``, equal to ``F.linear(x, self.dense(), bias)``.
        """
        if self.kernels.dim() != 3:
            raise ValueError('KroneckerFactors.linear applies one matrix, '
                             'got kernels of shape '
                             f'{tuple(self.kernels.shape)}; index it first')
        n, a, b = self.kernels.shape
        c, k = self.left.shape[-2:]
        d = self.right.shape[-1]
        chunks = x.reshape(-1, b, d)  # (M, b, d): x_q
        m = chunks.shape[0]
        # R_i x_q for every template i and chunk q: (M, b, n k)
        u = F.linear(chunks, self.right.reshape(n * k, d))
        u = u.view(m, b, n, k).permute(2, 0, 3, 1).reshape(n, m * k, b)
        # z_ip = sum_q K_i[p, q] R_i x_q, one product per template i:
        # (n, M k, a)
        z = torch.bmm(u, self.kernels.transpose(1, 2))
        z = z.view(n, m, k, a).permute(1, 3, 0, 2).reshape(m, a, n * k)
        # output chunk p = sum_i L_i z_ip: (M, a, c)
        y = F.linear(z, self.left.transpose(0, 1).reshape(c, n * k))
        y = y.reshape(*x.shape[:-1], a * c)
        return y if bias is None else y + bias.to(y.dtype)
