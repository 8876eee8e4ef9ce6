"""Task-batched passes (``PEFTBackbone(batched_task_passes=True)``).

Every per-task method registered in ``TUNERS`` either computes, in one
pass over the tasks' images, the same features, summed loss and gradients
as its sequential per-task passes (fp64, tight tolerance), or is refused in
one line. Drop-path and dropout are off: they draw per image in both modes.
"""
import copy

import pytest
import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmpoly_test_utils import MINI_FAMILIES, fake_batch, mini_swin, \
    segmentor_cfg
from mmseg.registry import MODELS
from test_methods import METHOD_TUNERS

from mmpoly.models.run_mode import RunMode
from mmpoly.models.tuners.layers import (AdapterWeights, adapter_delta,
                                         adapter_delta_per_task)
from mmpoly.registry import TUNERS

TASKS = ('semseg', 'sal', 'normals')
SIZE = 32

#: A small config of every registered tuner: the methods' test configs
#: (a per-task one where a method has both), plus the registered tuners no
#: method test names.
CONFIGS = {
    cfg['type']: cfg
    for cfg in sorted(
        METHOD_TUNERS.values(), key=lambda c: not c.get('shared', False))
}
CONFIGS.update({
    'PerTaskPass':
    dict(type='PerTaskPass'),
    'PerTaskTensors':
    dict(type='PerTaskTensors', pattern=r'norm\d?\.bias'),
    'VPT':
    dict(type='VPT', num_tokens=3),
})
#: The per-task tuners that replace backbone tensors per task.
REFUSED = {'BitFit', 'PerTaskTensors', 'RelativeBiasTuning'}
#: The registered tuners that run one pass per task (as configured).
PER_TASK = sorted(
    name for name in TUNERS.module_dict if name in CONFIGS
    and TUNERS.build(CONFIGS[name]).run_mode is RunMode.PER_TASK)

#: A smaller Swin than the other tests' (its window of 4 still shifts in
#: stage 1's second block at 32 px).
TINY_SWIN = dict(
    mini_swin(
        arch=dict(embed_dims=16, depths=[2, 1, 1, 1], num_heads=[1, 1, 2, 2])),
    window_size=4)


def without_dropout(model: nn.Module) -> nn.Module:
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    return model


def perturbed(model: nn.Module, tuner: nn.Module) -> nn.Module:
    """``model`` with ``tuner``'s parameters moved off their initial values,
    so that every task's modules differ."""
    with torch.no_grad():
        for p in tuner.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return model


def build_backbone(tuner: dict,
                   batched: bool = False,
                   family=None,
                   tasks=TASKS,
                   with_cp: bool = False) -> nn.Module:
    """A fp64 PEFTBackbone (the tiny Swin, with activation checkpointing
    if ``with_cp``, or a family's mini instance), the backbone's drop-path
    and every dropout off, its tuner perturbed."""
    torch.manual_seed(0)
    parts = dict(backbone=dict(TINY_SWIN, with_cp=with_cp)) \
        if family is None else copy.deepcopy(MINI_FAMILIES[family])
    model = MODELS.build(
        dict(
            type='PEFTBackbone',
            tasks=tasks,
            tuner=dict(tuner),
            batched_task_passes=batched,
            frozen_stochastic_depth=False,
            **parts)).double()
    return perturbed(without_dropout(model), model.tuner)


def features_loss_and_grads(model: nn.Module, x: torch.Tensor, tasks=TASKS):
    """Every task's features, a loss summed over tasks (weighted per task)
    and the gradients of every parameter it reaches."""
    model.zero_grad()
    feats = model.forward_tasks(x, tasks)
    loss = sum(
        (k + 1) * (f**2).mean() for k, t in enumerate(tasks) for f in feats[t])
    loss.backward()
    grads = {
        n: p.grad.clone()
        for n, p in model.named_parameters() if p.grad is not None
    }
    return feats, loss.detach(), grads


def assert_same(batched, sequential, tasks=TASKS):
    (feats, loss, grads), (seq_feats, seq_loss, seq_grads) = \
        batched, sequential
    torch.testing.assert_close(loss, seq_loss, rtol=1e-10, atol=1e-12)
    assert set(grads) == set(seq_grads) and grads
    for n, g in grads.items():
        torch.testing.assert_close(
            g, seq_grads[n], rtol=1e-9, atol=1e-12, msg=n)
    for t in tasks:
        for a, b in zip(feats[t], seq_feats[t]):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_every_registered_tuner_has_a_config():
    assert set(TUNERS.module_dict) <= set(CONFIGS)
    assert {
        'Polyhistor', 'PolyhistorLite', 'LoRATuner', 'VPTDeep', 'Mona',
        'HyperformerPP'
    } <= set(PER_TASK)


@pytest.mark.parametrize('name', [n for n in PER_TASK if n not in REFUSED])
def test_batched_passes_equal_sequential_passes(name, with_cp=False):
    model = build_backbone(CONFIGS[name], with_cp=with_cp).train()
    assert model.run_mode is RunMode.PER_TASK and model.separate_task_passes
    x = torch.randn(2, 3, SIZE, SIZE, dtype=torch.float64)
    sequential = features_loss_and_grads(model, x)
    model.batched_task_passes = True
    assert not model.separate_task_passes
    rows = []
    hook = model.backbone.register_forward_hook(
        lambda m, args, out: rows.append(args[0].shape[0]))
    batched = features_loss_and_grads(model, x)
    hook.remove()
    assert rows == [len(TASKS) * 2]  # one pass over every task's images
    assert_same(batched, sequential)
    if any(p.requires_grad for p in model.tuner.parameters()):
        # each task's rows went through its own modules
        assert not torch.allclose(batched[0]['semseg'][0],
                                  batched[0]['sal'][0])


@pytest.mark.parametrize('name', ['Polyhistor', 'VPTDeep'])
def test_batched_passes_with_activation_checkpointing(name):
    """Blocks recomputed in the backward pass see the batched pass's state
    (its tasks, the generated weights)."""
    test_batched_passes_equal_sequential_passes(name, with_cp=True)


@pytest.mark.parametrize('name', sorted(REFUSED))
def test_methods_replacing_backbone_tensors_are_refused(name):
    with pytest.raises(ValueError, match=f'{name} cannot share one pass'):
        build_backbone(CONFIGS[name], batched=True)


def test_merged_dora_refuses_a_batched_pass_and_unmerged_runs_it():
    model = build_backbone(CONFIGS['DoRATuner'], batched=True)
    x = torch.randn(1, 3, SIZE, SIZE, dtype=torch.float64)
    model.tuner.merge()
    with pytest.raises(RuntimeError, match='DoRATuner cannot run a task-'):
        model.forward_tasks(x, TASKS)
    model.tuner.unmerge()
    assert set(model.forward_tasks(x, TASKS)) == set(TASKS)


def test_tuners_with_one_pass_for_all_tasks_ignore_the_option():
    model = build_backbone(METHOD_TUNERS['mtlora'], batched=True)
    assert model.run_mode is RunMode.TASK_STREAMS
    assert not model.separate_task_passes


def test_eval_batched_pass_reuses_cached_generated_weights():
    model = build_backbone(CONFIGS['Polyhistor'], batched=True).eval()
    x = torch.randn(1, 3, SIZE, SIZE, dtype=torch.float64)
    with torch.no_grad():
        first = model.forward_tasks(x, TASKS)
        assert set(model.tuner.cached_tasks) == set(TASKS)
        again = model.forward_tasks(x, TASKS)
    for t in TASKS:
        for a, b in zip(first[t], again[t]):
            assert torch.equal(a, b)


@pytest.mark.parametrize('family,method', [('convnext', 'mona'),
                                           ('vit', 'vpt-deep'),
                                           ('swin-v2', 'polyhistor')])
def test_batched_passes_on_other_families(family, method):
    """Channels-first residual streams (ConvNeXt), a class token and plain
    prompted attention (ViT), post-norm blocks (Swin-V2)."""
    tasks = TASKS[:2]
    model = build_backbone(
        METHOD_TUNERS[method], family=family, tasks=tasks).train()
    x = torch.randn(1, 3, 64, 64, dtype=torch.float64)
    sequential = features_loss_and_grads(model, x, tasks)
    model.batched_task_passes = True
    assert_same(features_loss_and_grads(model, x, tasks), sequential, tasks)


def test_segmentor_backpropagates_a_batched_pass_once():
    """The segmentor's train step with batched passes: the summed loss
    back-propagated once (not task by task), the same update as the
    per-task backward (fp32: the data preprocessor casts to it)."""
    inputs, samples = fake_batch(TASKS, n=2, size=SIZE)
    data = dict(inputs=list(inputs), data_samples=samples)
    params = []
    for batched in (False, True):
        torch.manual_seed(0)
        cfg = segmentor_cfg(
            dict(
                type='PEFTBackbone',
                backbone=TINY_SWIN,
                tuner=CONFIGS['Polyhistor'],
                batched_task_passes=batched),
            tasks=TASKS)
        cfg['decode_head']['dropout_ratio'] = 0.0
        model = MODELS.build(cfg)
        perturbed(model, model.backbone.tuner).train()
        model.data_preprocessor.size = (SIZE, SIZE)
        assert model.uses_per_task_backward is not batched
        opt = OptimWrapper(
            torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                            lr=0.1))
        model.train_step(copy.deepcopy(data), opt)
        params.append({
            n: p.detach()
            for n, p in model.named_parameters() if p.requires_grad
        })
    for n, p in params[1].items():
        torch.testing.assert_close(p, params[0][n], rtol=1e-5, atol=1e-6)


def test_unstackable_weights_are_applied_task_by_task():
    """Weights of different kinds (a dense and a factored matrix) cannot be
    stacked: each task's rows get their own adapter."""
    g = torch.Generator().manual_seed(0)
    c, d = 6, 3

    def randn(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    dense = AdapterWeights(randn(d, c), randn(d), randn(c, d), randn(c))
    factored = AdapterWeights((randn(d, 2), randn(2, c)), randn(d),
                              (randn(c, 2), randn(2, d)), randn(c), randn(c),
                              randn(c))
    v = randn(4, 5, c)
    out = adapter_delta_per_task(v, [dense, factored])
    torch.testing.assert_close(
        out,
        torch.cat(
            [adapter_delta(v[:2], dense),
             adapter_delta(v[2:], factored)]))
    # and stackable ones give what each task's adapter gives
    out = adapter_delta_per_task(v, [factored, factored])
    torch.testing.assert_close(out, adapter_delta(v, factored))
