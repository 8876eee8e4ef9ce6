"""Sums of Kronecker products, the assembly used by scaling kernels and PHM
layers."""
import torch


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
