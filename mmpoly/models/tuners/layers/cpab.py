"""A one-dimensional CPAB diffeomorphism of [0, 1], in plain PyTorch.

CPAB (continuous piecewise-affine based) transformations integrate a
continuous, piecewise-linear velocity field. Here the interval [0, 1] is
split into ``n_c`` equal cells with vertices ``x_j = j / n_c``; the field
is zero at both ends (``v(0) = v(1) = 0``) and linear inside each cell, so
it is fixed by its velocities ``u_1 ... u_{n_c - 1}`` at the inner
vertices. It is parameterised by ``theta`` in ``R^(n_c - 1)`` on the
normalised basis ``h_1 ... h_{n_c - 1}``: ``h_j`` rises linearly from 0 at
``x = 0`` to ``1 / n_c`` at vertex ``x_j``, falls to 0 at ``x_{j + 1}`` and
is 0 beyond, so::

    v(x) = sum_j theta_j h_j(x),   u_i = h(x_i) theta,
    u_i = (1 / n_c) sum_{j >= i} theta_j * i / j.

The transformation ``phi(x)`` is the position at time 1 of the point that
starts at ``x`` and follows ``dx/dt = v(x)``. Inside a cell the field is
affine, ``v(x) = a x + b``, and the flow has the closed form
``psi(x, t) = e^{t a} x + (b / a) (e^{t a} - 1)
= x + v(x) t (e^{t a} - 1) / (t a)``; a point that reaches a cell's
boundary ``x_c`` (velocity of the same sign there) does so after
``t_hit = log(v(x_c) / v(x)) / a`` and continues in the next cell with the
time left. A point never crosses a vertex of zero velocity (in particular
0 and 1), so ``phi`` is an increasing bijection of [0, 1] that fixes both
ends, and a point crosses at most ``n_c`` boundaries.

Everything is differentiable with respect to ``theta`` by autograd and
vectorised over the points; the dtype is ``theta``'s.
"""
import torch


def cpab_velocity_basis(n_c: int,
                        dtype: torch.dtype = torch.float32,
                        device=None) -> torch.Tensor:
    """The matrix ``M`` that maps ``theta`` to the inner vertex velocities.

    Args:
        n_c: Number of cells (at least 2).
        dtype, device: Of the result.

    Returns:
        ``(n_c - 1, n_c - 1)`` upper-triangular ``M`` with
        ``M[i - 1, j - 1] = h_j(i / n_c) = i / (j n_c)`` for ``i <= j``, so
        that ``u = M theta`` are the velocities at ``x_1 ... x_{n_c - 1}``.
    """
    if n_c < 2:
        raise ValueError(f'a CPAB transform needs at least 2 cells, got '
                         f'n_c={n_c}')
    index = torch.arange(1, n_c, dtype=dtype, device=device)
    ratio = index[:, None] / index[None, :]  # i / j
    return torch.triu(ratio) / n_c


def cpab_vertex_velocities(theta: torch.Tensor) -> torch.Tensor:
    """Velocities at all ``n_c + 1`` vertices, zero at both ends.

    Args:
        theta: ``(n_c - 1,)``.

    Returns:
        ``(n_c + 1,)`` ``[0, u_1, ..., u_{n_c - 1}, 0]``, ``u = M theta``
        (:func:`cpab_velocity_basis`).
    """
    if theta.dim() != 1 or theta.numel() < 1:
        raise ValueError(f'theta must be a non-empty vector (n_c - 1,), got '
                         f'shape {tuple(theta.shape)}')
    n_c = theta.numel() + 1
    index = torch.arange(1, n_c, dtype=theta.dtype, device=theta.device)
    # M theta without the matrix: u_i = (i / n_c) sum_{j >= i} theta_j / j
    tail_sums = (theta / index).flip(0).cumsum(0).flip(0)
    inner = index / n_c * tail_sums
    zero = theta.new_zeros(1)
    return torch.cat([zero, inner, zero])


def cpab_velocity(theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The velocity field ``v_theta(x)`` (linear interpolation of the
    vertex velocities).

    Args:
        theta: ``(n_c - 1,)``.
        x: Points in [0, 1], any shape.

    Returns:
        ``v(x)``, the shape of ``x``.
    """
    u = cpab_vertex_velocities(theta)
    n_c = u.numel() - 1
    cell = (x * n_c).floor().long().clamp(0, n_c - 1)
    slope = (u[1:] - u[:-1]) * n_c
    return u[cell] + slope[cell] * (x - cell.to(x.dtype) / n_c)


def _expm1_ratio(w: torch.Tensor) -> torch.Tensor:
    """``(e^w - 1) / w``, 1 at ``w = 0``, with finite gradients."""
    small = w.abs() < 1e-3
    safe = torch.where(small, torch.ones_like(w), w)
    series = 1 + w / 2 * (1 + w / 3 * (1 + w / 4))
    return torch.where(small, series, torch.expm1(safe) / safe)


def _log1p_ratio(z: torch.Tensor) -> torch.Tensor:
    """``log(1 + z) / z`` for ``z > -1``, 1 at ``z = 0``, with finite
    gradients."""
    small = z.abs() < 1e-3
    safe = torch.where(small, torch.ones_like(z), z)
    series = 1 - z * (1 / 2 - z * (1 / 3 - z * (1 / 4 - z / 5)))
    return torch.where(small, series, torch.log1p(safe) / safe)


def cpab_integrate(theta: torch.Tensor,
                   x: torch.Tensor,
                   time: float = 1.0) -> torch.Tensor:
    """``phi_theta(x)``: the flow of ``v_theta`` at ``time``, in closed
    form, cell by cell.

    Each point is integrated in its cell until it either stays there for
    the time left (then ``psi``) or reaches the cell's boundary (then it
    moves to the next cell with the time left); a boundary whose velocity
    is zero or of the other sign is never reached.

    Args:
        theta: ``(n_c - 1,)`` field parameters (their dtype is used).
        x: Points in [0, 1], any shape (e.g. ``k <= 3072`` grid points).
        time: Integration time (1 for the transformation).

    Returns:
        ``phi_theta(x)`` in [0, 1], the shape of ``x``; ``phi(0) = 0`` and
        ``phi(1) = 1`` exactly.
    """
    u = cpab_vertex_velocities(theta)
    n_c = u.numel() - 1
    slope = (u[1:] - u[:-1]) * n_c  # a of each cell
    shape = x.shape
    x = x.reshape(-1).to(theta.dtype)
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError('cpab_integrate transforms points of [0, 1], got '
                         f'values in [{float(x.min())}, {float(x.max())}]')
    cell = (x * n_c).floor().long().clamp(0, n_c - 1)
    t_left = torch.full_like(x, float(time))
    # the end points are fixed points (zero velocity): nothing to integrate
    done = (x <= 0) | (x >= 1)
    # at most n_c - 1 crossings, +1 for a start on a vertex the field
    # leaves backwards, +1 for the last cell
    for _ in range(n_c + 1):
        if bool(done.all()):
            break
        a = slope[cell]
        left = cell.to(x.dtype) / n_c
        v = u[cell] + a * (x - left)
        psi = x + v * t_left * _expm1_ratio(a * t_left)
        forward = v > 0
        target = torch.where(forward, cell + 1, cell)  # the vertex ahead
        x_c = target.to(x.dtype) / n_c
        u_c = u[target]
        # reached in finite time iff the velocity there has v's sign
        reach = (v * u_c > 0) & ~done
        v_safe = torch.where(reach, v, torch.ones_like(v))
        z = torch.where(reach, u_c / v_safe - 1, torch.zeros_like(v))
        t_hit = (x_c - x) / v_safe * _log1p_ratio(z)
        cross = reach & (t_hit < t_left)
        x = torch.where(cross, x_c, torch.where(done, x, psi))
        t_left = torch.where(cross, t_left - t_hit, t_left)
        cell = torch.where(cross, torch.where(forward, cell + 1, cell - 1),
                           cell)
        done = done | ~cross
    if not bool(done.all()):  # unreachable: the crossings are bounded
        raise RuntimeError('cpab_integrate: a point crossed more than '
                           f'{n_c} cells')
    return x.clamp(0, 1).reshape(shape)
