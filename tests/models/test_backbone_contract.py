"""The contract of every method on every described backbone family.

For every method x family pair (tiny random instances): a pair that builds
trains only the method's own parameters (and the per-task output norms),
leaves every frozen weight bit-identical after optimiser steps,
round-trips exactly through an adapter-only state dict, and, for additive
methods initialised at zero, reproduces the frozen backbone's features. A
pair that is refused gives one line naming the method, the backbone and
what is missing.
"""
import copy

import pytest
import torch
from mmpoly_test_utils import MINI_FAMILIES
from mmseg.registry import MODELS
from test_methods import METHOD_TUNERS

from mmpoly.models.archs import UnsupportedBackboneError

TASKS = ('semseg', 'sal')

#: Each method at a tiny size, as its config names it.
METHODS = METHOD_TUNERS

#: What a family's configs set for a method whose defaults name a part the
#: family lacks (ConvNeXt: no attention; its MLP linears are fc1/fc2).
FAMILY_OPTIONS = {
    'convnext': {
        'adapter-family': dict(positions=('ffn', )),
        'lora': dict(targets=('fc1', 'fc2')),
        'dora': dict(targets=('fc1', 'fc2')),
        'ia3': dict(targets=('ffn', )),
        'mtlora':
        dict(shared_targets=('fc1', 'fc2'), task_targets=('fc1', 'fc2')),
        'dora-mtlora':
        dict(shared_targets=('fc1', 'fc2'), task_targets=('fc1', 'fc2')),
        'ditask':
        dict(shared_targets=('fc1', 'fc2'), task_targets=('fc1', 'fc2')),
    },
}
FAMILY_OPTIONS['convnext-v2'] = FAMILY_OPTIONS['convnext']
ADAPTER_FAMILY = ('adapter', 'shared-adapter', 'low-rank-adapter',
                  'phm-adapter', 'compacter', 'compacter++', 'hyperformer',
                  'hyperformer++', 'polyhistor', 'polyhistor-lite')

#: The pairs refused by design, and what their line says is missing.
REFUSED = {
    ('swin-v2', 'relative-bias'): 'relative_position_bias_table',
    ('swin-v2', 'vpt-shallow'): 'prompt tokens',
    ('swin-v2', 'vpt-deep'): 'prompt tokens',
    ('swin-v2', 'lora'): 'qkv weight functionally',
    ('swin-v2', 'ia3'): 'qkv weight functionally',
    ('swin-v2', 'mtlora'): 'qkv weight functionally',
    ('swin-v2', 'dora'): 'qkv weight functionally',
    ('swin-v2', 'dora-mtlora'): 'qkv weight functionally',
    ('swin-v2', 'ditask'): 'qkv weight functionally',
    ('convnext', 'relative-bias'): 'relative_position_bias_table',
    ('convnext', 'vpt-shallow'): 'no attention',
    ('convnext', 'vpt-deep'): 'no attention',
    ('convnext-v2', 'relative-bias'): 'relative_position_bias_table',
    ('convnext-v2', 'vpt-shallow'): 'no attention',
    ('convnext-v2', 'vpt-deep'): 'no attention',
    ('vit', 'relative-bias'): 'relative_position_bias_table',
    # Mona's convolutions need the blocks' token grid, which mmpoly does not
    # read for these families
    ('swin-v2', 'mona'): "grid of its blocks' tokens",
    ('swin-v2', 'mona-shared'): "grid of its blocks' tokens",
    ('vit', 'mona'): "grid of its blocks' tokens",
    ('vit', 'mona-shared'): "grid of its blocks' tokens",
    # TADFormer's prompts ride in Swin (v1) window attention only
    ('swin-v2', 'tadformer'): 'task prompt tokens',
    ('convnext', 'tadformer'): 'task prompt tokens',
    ('convnext-v2', 'tadformer'): 'task prompt tokens',
    ('vit', 'tadformer'): 'task prompt tokens',
}

#: Methods whose terms start at exactly zero with these options.
ZERO_INIT = {
    'lora': {},
    'dora': {},
    'adapter': dict(zero_init_up=True),
    'low-rank-adapter': dict(zero_init_up=True),
    'polyhistor': dict(zero_init_up=True),
    'polyhistor-lite': dict(zero_init_up=True),
    'vpt-deep': dict(num_tokens=0),
}

PAIRS = [(f, m) for f in MINI_FAMILIES for m in METHODS]


def tuner_cfg(family: str, method: str, **extra) -> dict:
    options = FAMILY_OPTIONS.get(family, {})
    cfg = dict(METHODS[method])
    cfg.update(options.get(method, {}))
    if method in ADAPTER_FAMILY:
        cfg.update(options.get('adapter-family', {}))
    cfg.update(extra)
    return cfg


def build(family: str, tuner, seed: int = 0, **kw):
    torch.manual_seed(seed)
    return MODELS.build(
        dict(
            type='PEFTBackbone',
            tasks=TASKS,
            tuner=tuner,
            **copy.deepcopy(MINI_FAMILIES[family]),
            **kw))


def features(model, x):
    return model.forward_tasks(x, TASKS)


def loss_of(feats) -> torch.Tensor:
    return sum((f**2).mean() for task in feats.values() for f in task)


@pytest.mark.parametrize('family,method', PAIRS)
def test_method_on_family(family, method):
    """Builds or is refused in one line; if built, keeps the contract."""
    if (family, method) in REFUSED:
        with pytest.raises(UnsupportedBackboneError) as e:
            build(family, tuner_cfg(family, method))
        line = str(e.value)
        assert '\n' not in line
        assert line.startswith(
            f'{METHODS[method]["type"]}') and 'cannot run on' in line, line
        assert REFUSED[family, method] in line, line
        return
    model = build(family, tuner_cfg(family, method), seed=1)
    model.train()
    x = torch.randn(1, 3, 64, 64)
    own = {
        n
        for n, p in model.named_parameters()
        if n.startswith(('tuner.', 'out_norms.'))
    }
    unfrozen = {f'backbone.{n}' for n in getattr(model.tuner, 'unfrozen', [])}
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == own | unfrozen
    assert any(n.startswith('tuner.') for n in trainable)
    frozen = {
        n: p.detach().clone()
        for n, p in model.named_parameters() if not p.requires_grad
    }
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                          lr=0.5)
    for _ in range(2):
        opt.zero_grad()
        loss_of(features(model, x)).backward()
        for n, p in model.named_parameters():
            if not p.requires_grad:
                assert p.grad is None, n
        tuner_grads = [
            p.grad for n, p in model.named_parameters()
            if n.startswith('tuner.')
        ]
        assert any(g is not None and g.abs().sum() > 0 for g in tuner_grads)
        opt.step()
    for n, p in model.named_parameters():
        if n in frozen:
            assert torch.equal(p, frozen[n]), n

    # adapter-only round trip: a fresh model loads it and computes the same
    model.eval()
    model.set_save_trainable_only(True)
    state = model.state_dict()
    assert not any(
        k.startswith('backbone.') and k[9:] not in {u[9:]
                                                    for u in unfrozen}
        for k in state if not k.startswith('backbone._'))
    rebuilt = build(family, tuner_cfg(family, method), seed=1)
    result = rebuilt.load_state_dict(state, strict=False)
    assert result.unexpected_keys == []
    rebuilt.eval()
    with torch.no_grad():
        want, got = features(model, x), features(rebuilt, x)
    for t in TASKS:
        for a, b in zip(want[t], got[t]):
            assert torch.equal(a, b), t


@pytest.mark.parametrize('family', list(MINI_FAMILIES))
@pytest.mark.parametrize('method', sorted(ZERO_INIT))
def test_zero_initialised_method_reproduces_the_frozen_backbone(
        family, method):
    if (family, method) in REFUSED:
        pytest.skip('refused pair (tested above)')
    tuned = build(family, tuner_cfg(family, method, **ZERO_INIT[method]))
    plain = build(family, None)
    tuned.eval(), plain.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        want, got = features(plain, x), features(tuned, x)
    for t in TASKS:
        for a, b in zip(want[t], got[t]):
            torch.testing.assert_close(b, a, rtol=0, atol=1e-6)
