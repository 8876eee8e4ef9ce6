"""DiTASK: the CPAB diffeomorphism, the singular-value warp, the tuner."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpoly_test_utils import build_peft_backbone
from mmseg.registry import MODELS

from mmpoly.models.tuners.layers import (FrozenSVD, SingularValueWarp,
                                         cpab_integrate, cpab_velocity,
                                         cpab_velocity_basis,
                                         cpab_vertex_velocities)

TASKS = ('semseg', 'sal')
DOUBLE = torch.float64


def random_theta(n_c: int, scale: float = 1.0, seed: int = 0, dtype=DOUBLE):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n_c - 1, generator=g, dtype=dtype) * scale


def basis_function(j: int, n_c: int, x: np.ndarray) -> np.ndarray:
    """``h_j`` as defined: 0 at 0, rising to ``1/n_c`` at ``j/n_c``,
    falling to 0 at ``(j+1)/n_c``, 0 beyond."""
    return np.interp(x, [0, j / n_c, (j + 1) / n_c, 1], [0, 1 / n_c, 0, 0])


# ------------------------------------------------------------------- CPAB
@pytest.mark.parametrize('n_c', [2, 5, 8])
def test_vertex_velocities_follow_the_basis_definition(n_c):
    vertices = np.arange(1, n_c) / n_c
    want = np.stack([basis_function(j, n_c, vertices) for j in range(1, n_c)],
                    axis=1)  # [vertex i, basis j] = h_j(x_i)
    got = cpab_velocity_basis(n_c, DOUBLE).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
    theta = random_theta(n_c, seed=n_c)
    u = cpab_vertex_velocities(theta)
    assert u[0] == 0 and u[-1] == 0
    np.testing.assert_allclose(
        u[1:-1].numpy(), want @ theta.numpy(), rtol=0, atol=1e-15)
    # and the field between the vertices is the same sum of h_j
    x = np.linspace(0, 1, 97)
    field = sum(t * basis_function(j, n_c, x)
                for j, t in enumerate(theta.numpy(), start=1))
    np.testing.assert_allclose(
        cpab_velocity(theta, torch.from_numpy(x)).numpy(), field, atol=1e-15)


def test_zero_theta_is_the_identity():
    x = torch.linspace(0, 1, 301)
    assert torch.equal(cpab_integrate(torch.zeros(7), x), x)


@pytest.mark.parametrize('dtype', [torch.float32, DOUBLE])
@pytest.mark.parametrize('scale', [0.3, 3.0, 30.0])
def test_ends_are_fixed_and_the_map_increases(dtype, scale):
    for seed in range(3):
        theta = random_theta(16, scale, seed, dtype)
        x = torch.linspace(0, 1, 513, dtype=dtype)
        y = cpab_integrate(theta, x)
        assert y[0] == 0 and y[-1] == 1
        assert ((y >= 0) & (y <= 1)).all()
        steps = y[1:] - y[:-1]
        if scale < 30:
            assert (steps > 0).all()
        else:  # points pile up at stable zeros of the field: rounding only
            assert steps.min() > -8 * torch.finfo(dtype).eps


def rk4(theta: np.ndarray, x: np.ndarray, steps: int) -> np.ndarray:
    """The flow of ``sum_j theta_j h_j`` at time 1, by classical RK4 on the
    basis definition (not on the code under test)."""
    n_c = len(theta) + 1
    vertices = np.linspace(0, 1, n_c + 1)
    u = sum(t * basis_function(j, n_c, vertices)
            for j, t in enumerate(theta, start=1))

    def v(y):
        return np.interp(y, vertices, u)

    h = 1.0 / steps
    for _ in range(steps):
        k1 = v(x)
        k2 = v(x + h / 2 * k1)
        k3 = v(x + h / 2 * k2)
        k4 = v(x + h * k3)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x


@pytest.mark.parametrize('n_c,scale', [(2, 2.0), (6, 1.0), (16, 5.0)])
def test_closed_form_agrees_with_numerical_integration(n_c, scale):
    theta = random_theta(n_c, scale, seed=n_c)
    x = torch.linspace(0, 1, 61, dtype=DOUBLE)
    want = rk4(theta.numpy(), x.numpy(), 2000)
    np.testing.assert_allclose(
        cpab_integrate(theta, x).numpy(), want, rtol=0, atol=1e-5)


def test_gradients_with_respect_to_theta():
    theta = random_theta(6, 1.5, seed=3).requires_grad_()
    # inside cells, on a vertex, near and at the ends
    x = torch.tensor([0.0, 0.05, 1 / 3, 0.5, 0.61, 0.97, 1.0], dtype=DOUBLE)
    assert torch.autograd.gradcheck(lambda t: cpab_integrate(t, x), (theta, ))
    grad, = torch.autograd.grad(cpab_integrate(theta, x).sum(), theta)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_points_outside_the_interval_are_refused():
    with pytest.raises(ValueError, match=r'points of \[0, 1\]'):
        cpab_integrate(torch.zeros(3), torch.tensor([0.5, 1.5]))


# ------------------------------------------------------------------- warp
def test_zero_theta_keeps_the_singular_values():
    torch.manual_seed(0)
    warp = SingularValueWarp(torch.randn(48, 20), tess_size=8)
    with torch.no_grad():
        warp.theta.zero_()
    torch.testing.assert_close(
        warp.warped_singular_values(), warp.svd.S, rtol=0, atol=1e-6)
    assert warp.weight_delta().abs().max() < 1e-6


def test_warped_singular_values_stay_sorted_with_fixed_ends():
    torch.manual_seed(0)
    weight = torch.randn(40, 64)
    warp = SingularValueWarp(weight, tess_size=6)
    S = torch.linalg.svdvals(weight)
    torch.testing.assert_close(warp.svd.S[0], S)
    for matrix in (weight, weight.T):  # wide and tall: U diag(S) V^T = W
        svd = FrozenSVD(matrix)
        torch.testing.assert_close(svd.weight_delta(svd.S), matrix)
    assert warp.svd.U.shape == (1, 40, 40) and warp.svd.Vh.shape == (1, 40, 64)
    # not the identity at initialisation; theta in the Kaiming bound
    assert warp.theta.abs().max() <= 1 / 5**0.5
    for scale in (1.0, 10.0):
        with torch.no_grad():
            warp.theta.copy_(torch.randn(5) * scale)
        warped = warp.warped_singular_values()[0]
        assert not torch.allclose(warped, S)
        assert (warped[1:] <= warped[:-1]).all()
        assert warped[0] == warp.svd.S[0, 0]
        assert warped[-1] == warp.svd.S[0, -1]
        # W' = W + U diag(S' - S) V^T has exactly the warped spectrum
        torch.testing.assert_close(
            torch.linalg.svdvals(weight + warp.weight_delta()), warped)


def test_one_theta_warps_q_k_and_v_each_from_its_own_svd():
    torch.manual_seed(0)
    weight = torch.randn(3 * 12, 12)
    warp = SingularValueWarp(weight, tess_size=4, splits=3)
    assert warp.theta.shape == (3, )
    delta = warp.weight_delta()
    # the same positions for the three blocks
    pos = warp.positions()
    low = pos.floor().long().clamp(max=10)
    frac = pos - low
    for block, got in zip(weight.chunk(3), delta.chunk(3)):
        U, S, Vh = torch.linalg.svd(block)
        warped = S[low] * (1 - frac) + S[low + 1] * frac
        torch.testing.assert_close(got, U @ torch.diag(warped - S) @ Vh)


def test_bad_warp_arguments_are_named():
    with pytest.raises(ValueError, match='tess_size'):
        SingularValueWarp(torch.randn(4, 4), tess_size=1)
    with pytest.raises(ValueError, match='splits=3'):
        FrozenSVD(torch.randn(8, 4), splits=3)


# ------------------------------------------------------------------ tuner
def build(**kw):
    tuner = dict(type='DiTASK', tess_size=8, task_tess_size=4)
    tuner.update(kw)
    return build_peft_backbone(tuner, tasks=TASKS)


@pytest.fixture(scope='module')
def ditask():
    """One small DiTASK model for the tests that do not change it (each
    sets the mode it needs)."""
    return build(dropout=0.5)


def test_parameters_are_thetas_under_mtlora_names(ditask):
    backbone = ditask
    tuner = backbone.tuner
    names = {n: p.shape for n, p in tuner.named_parameters()}
    assert names['shared.0.1.qkv.theta'] == (7, )
    assert names['task.sal.2.fc1.theta'] == (3, )
    assert 'task.sal.2.qkv.theta' not in names
    assert len(names) == 8 * 4 + 2 * 4 * 3
    for name, theta in tuner.named_parameters():  # not the identity
        assert 0 < theta.abs().max() <= theta.numel()**-0.5, name
    # a weight's shared and task warps share its one SVD
    info = tuner.arch.stages[2][-1]
    assert tuner.task['sal'][2]['fc1'].svd is tuner.shared[2][1]['fc1'].svd
    assert tuner.shared[2][1]['qkv'].svd.S.shape == (3, info.dims)
    # the SVD factors are buffers outside the state dict
    assert not any(
        k.endswith(('.U', '.S', '.Vh')) or '.svd.' in k
        for k in backbone.state_dict())
    assert any(n.endswith('svd.U') for n, _ in backbone.named_buffers())


def test_zero_thetas_give_the_frozen_backbone(ditask):
    thetas = [p.detach().clone() for p in ditask.tuner.parameters()]
    plain = build_peft_backbone(None, tasks=TASKS)
    ditask.eval(), plain.eval()
    x = torch.randn(1, 3, 64, 64)
    try:
        with torch.no_grad():
            for p in ditask.tuner.parameters():
                p.zero_()
            want = plain.forward_tasks(x, TASKS)
            got = ditask.forward_tasks(x, TASKS)
    finally:
        with torch.no_grad():
            for p, saved in zip(ditask.tuner.parameters(), thetas):
                p.copy_(saved)
    for t in TASKS:
        for a, b in zip(want[t], got[t]):
            torch.testing.assert_close(b, a, rtol=0, atol=1e-5)


def test_forward_and_backward_do_not_decompose(ditask, monkeypatch):
    backbone = ditask.train()
    backbone.zero_grad()

    def refuse(*args, **kwargs):
        raise AssertionError('an SVD was computed in the forward pass')

    for name in ('svd', 'svdvals'):
        monkeypatch.setattr(torch.linalg, name, refuse)
    monkeypatch.setattr(torch, 'svd', refuse)
    feats = backbone.forward_tasks(torch.randn(1, 3, 64, 64), TASKS)
    sum(f.square().mean() for t in TASKS for f in feats[t]).backward()
    assert all(p.grad is not None for p in backbone.tuner.task.parameters())
    backbone.zero_grad()


def record_linears(info):
    """(input, output) of each Linear of a block, per call."""
    calls = {name: [] for name in info.linears}
    handles = [
        linear.register_forward_hook(
            lambda m, a, o, name=name: calls[name].append((a[0], o)))
        for name, linear in info.linears.items()
    ]
    return calls, handles


def warped(linear, warp, x):
    return F.linear(x, linear.weight + warp.weight_delta(), linear.bias)


def test_linears_compute_the_warped_weight(ditask):
    """Shared pass: ``W' x + b`` with the shared warp on every block; in a
    stream ``W'_t x_t + b`` with the task's warp of the pretrained weight
    on proj, fc1, fc2, and the shared pass's qkv."""
    backbone = ditask.eval()  # dropout off
    tuner = backbone.tuner
    stage = 1
    first, last = tuner.arch.stages[stage]
    calls, handles = record_linears(last)
    first_calls, first_handles = record_linears(first)
    with torch.no_grad():
        backbone.forward_tasks(torch.randn(1, 3, 64, 64), TASKS)
    for h in handles + first_handles:
        h.remove()
    with torch.no_grad():
        for name, linear in first.linears.items():
            (x, y), = first_calls[name]
            torch.testing.assert_close(
                y, warped(linear, tuner.shared[stage][0][name], x))
        for name, linear in last.linears.items():
            # the streams share the shared pass's attention (its qkv)
            streams = 0 if name == 'qkv' else len(TASKS)
            assert len(calls[name]) == 1 + streams, name
            x, y = calls[name][0]
            torch.testing.assert_close(
                y, warped(linear, tuner.shared[stage][1][name], x))
            for k, task in enumerate(TASKS[:streams], start=1):
                x_t, y_t = calls[name][k]
                torch.testing.assert_close(
                    y_t, warped(linear, tuner.task[task][stage][name], x_t))
        # fc1 reads the stream's own activations
        assert not torch.allclose(calls['fc1'][1][0], calls['fc1'][0][0])


def test_dropout_hits_the_whole_input_in_training(ditask):
    backbone = ditask.train()
    tuner = backbone.tuner
    info = tuner.arch.stages[0][0]
    linear = info.linears['fc1']
    x = torch.randn(3, 5, linear.in_features)
    torch.manual_seed(7)
    y = linear(x)
    torch.manual_seed(7)
    want = warped(linear, tuner.shared[0][0]['fc1'], F.dropout(x, 0.5, True))
    torch.testing.assert_close(y, want)
    assert not torch.allclose(y, warped(linear, tuner.shared[0][0]['fc1'], x))


def test_a_trained_warped_weight_is_refused():
    with pytest.raises(ValueError, match='must not be trained'):
        build(unfreeze=('attn.w_msa.qkv', ))


@pytest.mark.parametrize('kw,match', [
    (dict(tess_size=1), 'tess_size'),
    (dict(task_tess_size=1.5), 'task_tess_size'),
    (dict(shared_targets='qkv'), 'shared_targets'),
    (dict(dropout=1.0), 'dropout'),
])
def test_bad_arguments_are_named(kw, match):
    from mmpoly.registry import TUNERS
    with pytest.raises(ValueError, match=match):
        TUNERS.build(dict(type='DiTASK', **kw))


def test_swin_t_counts(monkeypatch):
    """MTLoRA's protocol backbone (Swin-T, outputs after patch merging, no
    output norms), four PASCAL tasks: 12 * 4 * 63 + 4 * 4 * 3 * 3 = 3,168
    thetas and 1,599,546 unfrozen backbone parameters (the reductions
    included); with MTLoRA's decoders (1,946,624) 3,549,338."""

    # the counts do not depend on the SVD's values: factors of the right
    # shapes spare CI the decomposition of Swin-T's 48 weights
    def shapes_only(a, full_matrices=True):
        k = min(a.shape[-2:])
        return (a.new_zeros(*a.shape[:-1], k), a.new_ones(*a.shape[:-2], k),
                a.new_zeros(*a.shape[:-2], k, a.shape[-1]))

    monkeypatch.setattr(torch.linalg, 'svd', shapes_only)
    model = MODELS.build(
        dict(
            type='PEFTBackbone',
            tasks=('semseg', 'human_parts', 'sal', 'normals'),
            per_task_out_norms=False,
            backbone=dict(
                type='mmpretrain.SwinTransformer',
                arch='tiny',
                out_indices=(0, 1, 2, 3),
                out_after_downsample=True,
                norm_cfg=None),
            tuner=dict(type='DiTASK')))
    thetas = sum(p.numel() for p in model.tuner.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert thetas == 3_168
    assert trainable - thetas == 1_599_546
    assert trainable == 1_602_714
    assert trainable + 1_946_624 == 3_549_338
