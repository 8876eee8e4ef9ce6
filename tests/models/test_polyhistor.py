"""Polyhistor / Polyhistor-Lite tuners plugged into PEFTBackbone."""
import pytest
import torch
from mmpoly_test_utils import (TASKS, build_peft_backbone, fake_batch,
                               mini_swin, segmentor_cfg, small_tuner)
from mmseg.registry import MODELS

from mmpoly.models.tuners.layers import (AdapterWeights, KroneckerFactors,
                                         adapter_delta, kron_sum,
                                         kron_sum_vector)

WIDTHS = dict(
    tiny=[96, 192, 384, 768],
    small=[96, 192, 384, 768],
    base=[128, 256, 512, 1024])
DEPTHS = dict(tiny=[2, 2, 6, 2], small=[2, 2, 18, 2], base=[2, 2, 18, 2])


def build_backbone(tuner, swin=None, tasks=TASKS, **kw):
    return build_peft_backbone(tuner, swin, tasks, **kw)


def build_segmentor(kind='Polyhistor', **tuner_kw):
    torch.manual_seed(0)
    return MODELS.build(
        segmentor_cfg(
            dict(
                type='PEFTBackbone',
                backbone=mini_swin(),
                tuner=small_tuner(kind, **tuner_kw))))


# --------------------------------------------------------------- Kronecker
def test_kron_sum_matches_explicit_loop():
    g = torch.Generator().manual_seed(0)
    k = torch.randn(3, 3, 3, generator=g)
    t = torch.randn(3, 4, 5, generator=g)
    expected = sum(torch.kron(k[i], t[i]) for i in range(3))
    assert torch.allclose(kron_sum(k, t), expected, atol=1e-5)
    kb = torch.randn(2, 3, 3, 3, 3, generator=g)
    tb = torch.randn(2, 3, 3, 4, 5, generator=g)
    out = kron_sum(kb, tb)
    for a in range(2):
        for b in range(3):
            exp = sum(torch.kron(kb[a, b, i], tb[a, b, i]) for i in range(3))
            assert torch.allclose(out[a, b], exp, atol=1e-5)
    kv, tv = torch.randn(2, 3, generator=g), torch.randn(2, 4, generator=g)
    exp = sum(torch.kron(kv[i], tv[i]) for i in range(2))
    assert torch.allclose(kron_sum_vector(kv, tv), exp, atol=1e-6)
    with pytest.raises(ValueError):
        kron_sum(torch.randn(2, 3, 3), torch.randn(3, 4, 4))


@pytest.mark.parametrize('n,a,b,c,k,d',
                         [(2, 2, 2, 3, 2, 5), (4, 4, 4, 6, 3, 6),
                          (3, 2, 5, 4, 1, 2)])
def test_kronecker_factors_apply_the_assembled_sum(n, a, b, c, k, d):
    g = torch.Generator().manual_seed(0)

    def rand(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    kernels, left, right = rand(n, a, b), rand(n, c, k), rand(n, k, d)
    for t in (kernels, left, right):
        t.requires_grad_(True)
    w = KroneckerFactors(kernels, left, right)
    dense = sum(torch.kron(kernels[i], left[i] @ right[i]) for i in range(n))
    assert w.shape == dense.shape == (a * c, b * d)
    assert torch.allclose(w.dense(), dense, rtol=0, atol=1e-12)
    factored, full = w.macs_per_token()
    assert (factored, full) == (n * k * (b * d + a * b + a * c), a * b * c * d)
    x, bias = rand(2, 3, b * d), rand(a * c)
    out = w.linear(x, bias)
    ref = torch.nn.functional.linear(x, dense, bias)
    assert torch.allclose(out, ref, rtol=0, atol=1e-12)
    grad = rand(*out.shape)
    got = torch.autograd.grad(out, (kernels, left, right), grad)
    want = torch.autograd.grad(ref, (kernels, left, right), grad)
    for u, v in zip(got, want):
        assert torch.allclose(u, v, rtol=0, atol=1e-11)
    batched = KroneckerFactors(
        rand(2, n, a, b), rand(2, n, c, k), rand(2, n, k, d))
    assert torch.equal(batched[1].dense(), batched.dense()[1])
    with pytest.raises(ValueError, match='index it first'):
        batched.linear(x)
    with pytest.raises(ValueError, match='not'):
        KroneckerFactors(rand(n, a, b), rand(n + 1, c, k), rand(n, k, d))


# ------------------------------------------------------ shapes, T / S / B
def _dense(w):
    if isinstance(w, KroneckerFactors):
        return w.dense()
    return w[0] @ w[1] if isinstance(w, tuple) else w


@pytest.mark.parametrize('kind', ['Polyhistor', 'PolyhistorLite'])
@pytest.mark.parametrize('arch', ['tiny', 'small', 'base'])
def test_generated_shapes_for_every_swin(kind, arch):
    swin = dict(
        type='mmpretrain.SwinTransformer',
        arch=arch,
        out_indices=(0, 1, 2, 3),
        pad_small_map=True)
    backbone = build_backbone(
        dict(type=kind, reduction=2, norm_generators=True), swin=swin)
    tuner = backbone.tuner
    assert tuner.arch.widths == WIDTHS[arch]
    assert tuner.arch.depths == DEPTHS[arch]
    with torch.no_grad():
        weights = tuner.generate('sal')
    expected = {(s, j, p)
                for s, d in enumerate(DEPTHS[arch])
                for j in range(d)
                for p in ('attn', 'ffn')}
    assert set(weights) == expected
    for (s, j, p), w in weights.items():
        c = WIDTHS[arch][s]
        assert isinstance(w, AdapterWeights)
        assert _dense(w.down).shape == (c // 2, c)
        assert _dense(w.up).shape == (c, c // 2)
        assert w.down_bias.shape == (c // 2, )
        assert w.up_bias.shape == (c, )
        assert w.norm_weight.shape == (c, ) and w.norm_bias.shape == (c, )
        if kind == 'Polyhistor':  # decomposed: rank-k factors
            assert w.down[0].shape == (c // 2, 16)
            assert w.down[1].shape == (16, c)
            assert w.up[0].shape == (c, 16) and w.up[1].shape == (16, c // 2)


@pytest.mark.parametrize('rank,factored', [(4, True), (16, False)])
def test_lite_assembles_kronecker_of_templates(rank, factored):
    # mini Swin: C_1 = 32; rank 4 is applied through its factors, rank 16
    # assembled (fewer multiply-adds per token); the same equations hold
    t = build_backbone(small_tuner('PolyhistorLite', rank=rank)).tuner
    with torch.no_grad():
        w = t.generate('human_parts')
        e = t.task_embeds[1]
        ks = t.stage_kernels[2]
        s = ks.scale
        assert s == 4
        pos = t.positions.index('ffn')
        cond = torch.cat([
            e.expand(s, -1), ks.layer_embeds[1], t.position_embeds[pos].expand(
                s, -1)
        ], -1)
        code = t.projector(cond)
        left, right = t.down(code)
        templ = left @ right
        expected = sum(
            torch.kron(ks.weight_kernels[1, pos, i], templ[i])
            for i in range(s))
        down = w[2, 1, 'ffn'].down
        assert isinstance(down, KroneckerFactors) == factored
        assert torch.allclose(_dense(down), expected, atol=1e-5)
        first = w[0, 1, 'ffn'].down  # stage 1: the template itself
        assert isinstance(first, tuple) == (rank * 64 <= 32 * 32)
        ks0 = t.stage_kernels[0]
        cond0 = torch.cat([e, ks0.layer_embeds[1, 0], t.position_embeds[pos]])
        left0, right0 = t.down(t.projector(cond0))
        assert torch.allclose(_dense(first), left0 @ right0, atol=1e-6)
        bias = t.down_bias(code)
        exp_b = sum(
            torch.kron(ks.bias_kernels[1, pos, i], bias[i]) for i in range(s))
        assert torch.allclose(w[2, 1, 'ffn'].down_bias, exp_b, atol=1e-5)
        site = w[2, 1, 'ffn']  # applied as the assembled matrices are
        assembled = AdapterWeights(
            _dense(site.down), site.down_bias, _dense(site.up), site.up_bias)
        x = torch.randn(5, assembled.down.shape[1])
        assert torch.allclose(
            adapter_delta(x, site, t.activation),
            adapter_delta(x, assembled, t.activation),
            atol=1e-6)
    assert not hasattr(t.stage_kernels[0], 'weight_kernels')


def test_kronecker_factors_flops_are_the_factored_products():
    """What FlopAnalyzer (get_flops) counts for a Kronecker-factored weight:
    the factored products, not the assembled matrix."""
    from mmengine.analysis import FlopAnalyzer
    w = KroneckerFactors(
        torch.randn(4, 4, 4), torch.randn(4, 32, 4), torch.randn(4, 4, 32))

    class Apply(torch.nn.Module):

        def forward(self, x):
            return w.linear(x)

    tokens = 10
    analyzer = FlopAnalyzer(Apply(), (torch.randn(tokens, 128), ))
    analyzer.unsupported_ops_warnings(False)
    factored, dense = w.macs_per_token()
    assert analyzer.total() == tokens * factored
    assert 3 * factored < dense


def test_lite_needs_integer_width_multiples():
    swin = mini_swin()
    swin['stage_cfgs'] = [
        dict(),
        dict(downsample_cfg=dict(out_channels=72)),
        dict(),
        dict()
    ]
    swin['arch'] = dict(
        embed_dims=32, depths=[2, 2, 2, 2], num_heads=[1, 1, 3, 3])
    with pytest.raises(ValueError, match='multiple'):
        build_backbone(small_tuner('PolyhistorLite'), swin=swin)


def test_bad_tuner_arguments():
    with pytest.raises(ValueError, match='positions'):
        build_backbone(small_tuner(positions=('mlp', )))
    with pytest.raises(ValueError, match='placement'):
        build_backbone(small_tuner(placement='diagonal'))
    with pytest.raises(ValueError, match='divisible'):
        build_backbone(small_tuner(reduction=3))


# -------------------------------------------------------------- behaviour
def _zero_up(tuner):
    with torch.no_grad():
        for name, p in tuner.named_parameters():
            parts = name.split('.')
            if 'up' in parts or 'up_bias' in parts:
                p.zero_()


@pytest.mark.parametrize('kind', ['Polyhistor', 'PolyhistorLite'])
@pytest.mark.parametrize('placement', ['parallel', 'serial'])
def test_zero_adapters_reproduce_plain_backbone(kind, placement):
    backbone = build_backbone(
        small_tuner(kind, placement=placement), per_task_out_norms=False)
    _zero_up(backbone.tuner)
    plain = MODELS.build(mini_swin())
    plain.load_state_dict(backbone.backbone.state_dict(), strict=True)
    backbone.eval()
    plain.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref = plain(x)
        out = backbone.forward_tasks(x, TASKS)
    for t in TASKS:
        for a, b in zip(out[t], ref):
            assert torch.equal(a, b)
    # and the adapters do change the features once non-zero
    with torch.no_grad():
        for p in backbone.tuner.parameters():
            p.add_(0.05)
        changed = backbone.forward_tasks(x, ['sal'])['sal']
    assert not torch.allclose(changed[-1], ref[-1], atol=1e-4)


@pytest.mark.parametrize('kind', ['Polyhistor', 'PolyhistorLite'])
def test_tasks_get_different_features(kind):
    backbone = build_backbone(small_tuner(kind))
    backbone.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        out = backbone.forward_tasks(x, TASKS)
    for a in TASKS:
        for b in TASKS:
            if a < b:
                assert not torch.allclose(out[a][-1], out[b][-1], atol=1e-4)
    assert backbone.run_mode.passes_per_task


def test_pretrained_keys_unchanged_and_prefixes():
    backbone = build_backbone(small_tuner())
    plain_keys = set(MODELS.build(mini_swin()).state_dict())
    inner_keys = set(backbone.backbone.state_dict())
    # the backbone's own output norms are bypassed by per-task ones
    assert inner_keys == {k for k in plain_keys if not k.startswith('norm')}
    for name, p in backbone.named_parameters():
        expect = name.startswith('tuner.') or name.startswith('out_norms.')
        assert p.requires_grad == expect, name


def test_per_task_backward_equals_summed_loss_gradient():
    from mmengine.optim import OptimWrapper
    model = build_segmentor()
    model.train()
    for m in model.modules():  # deterministic: no dropout
        if isinstance(m, torch.nn.Dropout2d):
            m.p = 0.0
    assert model.uses_per_task_backward
    inputs, samples = fake_batch()
    losses = model.loss(inputs, samples)
    loss, _ = model.parse_losses(losses)
    loss.backward()
    expected = {
        n: p.grad.clone()
        for n, p in model.named_parameters() if p.requires_grad
    }
    model.zero_grad()

    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                          lr=0.0)
    wrapper = OptimWrapper(opt)
    wrapper.zero_grad = lambda **kw: None  # keep grads for the comparison
    model.data_preprocessor = _Passthrough()  # the batch is already made
    log_vars = model.train_step(
        dict(inputs=inputs, data_samples=samples), wrapper)
    assert set(log_vars) >= {
        'loss', 'semseg.loss_ce', 'normals.loss_normals_l1'
    }
    assert torch.allclose(log_vars['loss'], loss.detach(), rtol=1e-5)
    for n, p in model.named_parameters():
        if p.requires_grad:
            assert torch.allclose(p.grad, expected[n], rtol=1e-4, atol=1e-7), n


class _Passthrough(torch.nn.Module):

    def forward(self, data, training=False):
        return data


def test_eval_cache_used_and_invalidated_by_updates():
    backbone = build_backbone(small_tuner())
    tuner = backbone.tuner
    calls = []
    original = tuner.generate

    def counting(task):
        calls.append(task)
        return original(task)

    tuner.generate = counting
    backbone.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        first = backbone.forward_tasks(x, TASKS)
        again = backbone.forward_tasks(torch.randn(1, 3, 64, 64), TASKS)
        same = backbone.forward_tasks(x, TASKS)
    assert calls == list(TASKS)  # generated once per task, then cached
    assert set(tuner.cached_tasks) == set(TASKS)
    assert all(torch.equal(a, b) for a, b in zip(first['sal'], same['sal']))
    del again
    # an optimiser-like in-place update invalidates the cache
    with torch.no_grad():
        tuner.task_embeds.add_(1.0)
        updated = backbone.forward_tasks(x, ['sal'])['sal']
    assert calls[-1] == 'sal' and len(calls) == len(TASKS) + 1
    tuner.generate = original
    tuner._cache.clear()
    with torch.no_grad():
        fresh = backbone.forward_tasks(x, ['sal'])['sal']
    assert all(torch.equal(a, b) for a, b in zip(updated, fresh))
    # training mode never uses the cache
    backbone.train()
    tuner.generate = counting
    backbone.forward_tasks(x, ['sal'])
    assert tuner.cached_tasks == ()


def test_hooks_outside_task_pass_raise_and_detach_restores_plain():
    backbone = build_backbone(small_tuner(), per_task_out_norms=False)
    with pytest.raises(RuntimeError, match='outside a task pass'):
        backbone.backbone(torch.randn(1, 3, 64, 64))
    backbone.tuner.detach()
    plain = MODELS.build(mini_swin())
    plain.load_state_dict(backbone.backbone.state_dict())
    backbone.eval()
    plain.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(backbone.backbone(x), plain(x)):
            assert torch.equal(a, b)


@pytest.mark.parametrize('kind', ['Polyhistor', 'PolyhistorLite'])
def test_adapter_only_state_dict_round_trip(kind, tmp_path):
    torch.manual_seed(0)
    cfg = segmentor_cfg(
        dict(
            type='PEFTBackbone',
            backbone=mini_swin(),
            tuner=small_tuner(kind),
            save_trainable_only=True))
    torch.manual_seed(1)
    model = MODELS.build(cfg)
    with torch.no_grad():  # pretend training moved every trainable tensor
        for p in model.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.02)
    state = model.state_dict()
    assert not any(k.startswith('backbone.backbone.') for k in state)
    assert 'backbone.frozen_fingerprint' in state
    full = sum(p.numel() for p in model.parameters())
    kept = sum(v.numel() for k, v in state.items()
               if not k.endswith('fingerprint'))
    assert kept < 0.6 * full
    path = tmp_path / 'adapters.pth'
    torch.save(state, path)

    torch.manual_seed(1)  # same 'pretrained' backbone
    rebuilt = MODELS.build(cfg)
    result = rebuilt.load_state_dict(torch.load(path), strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
    model.eval()
    rebuilt.eval()
    inputs, samples = fake_batch(n=1)
    with torch.no_grad():
        a = model._forward(inputs)
        b = rebuilt._forward(inputs)
    for t in TASKS:
        assert torch.equal(a[t], b[t])

    torch.manual_seed(2)  # a different frozen backbone is refused
    other = MODELS.build(cfg)
    with pytest.raises(RuntimeError, match='different frozen'):
        other.load_state_dict(torch.load(path), strict=False)
