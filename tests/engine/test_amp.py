"""Mixed precision: MultiTaskAmpOptimWrapper on a CPU, the loss scaler in
the per-task backward, its state through a checkpoint, the autocast
context, and the float32 islands."""
import copy
import logging
import os.path as osp
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from mmpoly_test_utils import (fake_batch, mini_swin, segmentor_cfg,
                               small_tuner)

from mmpoly.engine import (MultiTaskAmpOptimWrapper, autocast_context,
                           autocast_dtype)
from mmpoly.engine.hooks.non_finite_loss_hook import _scales_loss
from mmpoly.models.float32_island import float32_function

FIXTURES = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'fixtures')
sys.path.insert(0, FIXTURES)

TASKS = ('sal', 'normals')


def wrapper_cfg(**kw) -> dict:
    cfg = dict(
        type='MultiTaskAmpOptimWrapper',
        constructor='TrainableOptimWrapperConstructor',
        optimizer=dict(type='SGD', lr=1.0))
    cfg.update(kw)
    return cfg


@pytest.fixture(scope='module')
def segmentor():
    """A per-task-pass Polyhistor segmentor over the small Swin."""
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(
        segmentor_cfg(
            dict(
                type='PEFTBackbone',
                backbone=mini_swin(),
                tuner=small_tuner(zero_init_up=False)),
            tasks=TASKS,
            data_preprocessor=dict(
                type='MultiTaskDataPreprocessor', size=(32, 32))))
    model.init_weights()
    assert model.uses_per_task_backward
    return model


def uint8_batch(n: int = 1, size: int = 32) -> dict:
    inputs, samples = fake_batch(TASKS, n=n, size=size)
    images = [(x * 40 + 128).clamp(0, 255).to(torch.uint8) for x in inputs]
    return dict(inputs=images, data_samples=samples)


def test_builds_from_config_with_device_defaults():
    init_default_scope('mmseg')
    model = nn.Linear(4, 4)
    wrapper = build_optim_wrapper(model, wrapper_cfg())
    assert type(wrapper) is MultiTaskAmpOptimWrapper
    # bfloat16 on a CPU, without a scaler; the NaN guard of
    # NonFiniteLossHook stays on (no scaler skips non-finite steps)
    assert wrapper.device_type == 'cpu'
    assert wrapper.cast_dtype == torch.bfloat16
    assert not wrapper.loss_scaler.is_enabled() and not _scales_loss(wrapper)
    fp16 = build_optim_wrapper(model, wrapper_cfg(dtype='float16'))
    assert fp16.cast_dtype == torch.float16
    assert fp16.loss_scaler.is_enabled() and _scales_loss(fp16)
    assert fp16.loss_scaler.get_scale() == 65536.0
    fixed = build_optim_wrapper(model, wrapper_cfg(loss_scale=512))
    assert fixed.loss_scaler.get_scale() == 512.
    with pytest.raises(ValueError, match='float64'):
        build_optim_wrapper(model, wrapper_cfg(dtype='float64'))
    with pytest.raises(TypeError, match='loss_scale'):
        build_optim_wrapper(model, wrapper_cfg(loss_scale='static'))
    # autocast runs inside the wrapper's context only
    x = torch.randn(2, 4)
    with wrapper.optim_context(model):
        assert model(x).dtype == torch.bfloat16
    assert model(x).dtype == torch.float32


def test_autocast_context_dtypes():
    assert autocast_dtype('cpu') == torch.bfloat16
    assert autocast_dtype('cuda:0') == torch.float16  # no CUDA needed
    assert autocast_dtype(torch.device('cpu'), 'float16') == torch.float16
    with pytest.raises(ValueError, match="'half'"):
        autocast_dtype('cpu', 'half')
    lin = nn.Linear(4, 4)
    with autocast_context('cpu'):
        assert lin(torch.randn(1, 4)).dtype == torch.bfloat16
    with autocast_context('cpu', 'float16'):
        assert lin(torch.randn(1, 4)).dtype == torch.float16
    with autocast_context('cpu', enabled=False):
        assert lin(torch.randn(1, 4)).dtype == torch.float32


@pytest.mark.parametrize('flags,expected', [
    ('fpu sse avx2 fma', False),
    ('fpu avx2 avx512f avx512_bf16', True),
    ('fpu avx2 amx_bf16 amx_tile', True),
])
def test_cpu_bfloat16_instructions_read_from_cpuinfo(tmp_path, flags,
                                                     expected):
    from mmpoly.engine.optim.autocast_context import cpu_has_native_bfloat16
    cpuinfo = tmp_path / 'cpuinfo'
    cpuinfo.write_text('processor\t: 0\nmodel name\t: X\n'
                       f'flags\t\t: {flags}\n\nprocessor\t: 1\n'
                       f'flags\t\t: {flags}\n')
    assert cpu_has_native_bfloat16(str(cpuinfo)) is expected
    assert cpu_has_native_bfloat16(str(tmp_path / 'absent')) is None


def test_emulated_cpu_bfloat16_is_warned_once(monkeypatch):
    """On a CPU without bfloat16 instructions, asking for CPU bfloat16
    says once that it will be slower than float32; float16 and CUDA
    dtypes say nothing."""
    import importlib

    # the module, not the function of the same name the package exports
    module = importlib.import_module('mmpoly.engine.optim.autocast_context')
    logged = []
    monkeypatch.setattr(module, 'cpu_has_native_bfloat16', lambda: False)
    monkeypatch.setattr(module, 'print_log',
                        lambda msg, **kw: logged.append((msg, kw)))
    module._warn_emulated_cpu_bfloat16.cache_clear()
    try:
        autocast_dtype('cuda')
        autocast_dtype('cpu', 'float16')
        assert logged == []
        autocast_dtype('cpu')
        autocast_dtype('cpu', torch.bfloat16)
        assert len(logged) == 1
        msg, kw = logged[0]
        assert 'no bfloat16 instructions' in msg and 'slower than float32' \
            in msg and kw['level'] == logging.WARNING
    finally:
        module._warn_emulated_cpu_bfloat16.cache_clear()


def counted(scaler, calls: dict) -> None:
    """Count the calls of ``scaler``'s methods into ``calls``."""
    for name in ('scale', 'unscale_', 'step', 'update'):
        method = getattr(scaler, name)

        def counting(*args, _method=method, _name=name, **kwargs):
            calls[_name] = calls.get(_name, 0) + 1
            return _method(*args, **kwargs)

        setattr(scaler, name, counting)


def step_delta(model, wrapper, data) -> torch.Tensor:
    """The change of the trainable parameters made by one ``train_step``
    (the parameters are put back afterwards)."""
    params = [p for p in model.parameters() if p.requires_grad]
    before = [p.detach().clone() for p in params]
    torch.manual_seed(0)  # the heads' dropout
    model.train_step(copy.deepcopy(data), wrapper)
    delta = torch.cat([(p.detach() - b).flatten()
                       for p, b in zip(params, before)])
    with torch.no_grad():
        for p, b in zip(params, before):
            p.copy_(b)
    return delta


def test_per_task_backward_scales_every_task_and_steps_once(segmentor):
    """float16 with a loss scale: each task's loss is scaled, the gradients
    are unscaled once before clipping, the optimiser steps and the scale is
    updated once; the update equals the unscaled training's (clipped, so a
    gradient clipped while still scaled would be 1024 times too small)."""
    init_default_scope('mmseg')
    data = uint8_batch()
    max_norm = 1e-3  # the raw gradient norm is far above: clipping acts
    scaled = build_optim_wrapper(
        segmentor,
        wrapper_cfg(
            dtype='float16',
            loss_scale=1024.,
            clip_grad=dict(max_norm=max_norm)))
    calls: dict = {}
    counted(scaled.loss_scaler, calls)
    delta = step_delta(segmentor, scaled, data)
    assert calls == dict(scale=len(TASKS), unscale_=1, step=1, update=1)
    assert scaled.loss_scaler.get_scale() == 1024.  # a fixed scale

    plain = build_optim_wrapper(
        segmentor,
        wrapper_cfg(
            dtype='float16',
            loss_scale=None,
            clip_grad=dict(max_norm=max_norm)))
    reference = step_delta(segmentor, plain, data)
    assert float(reference.norm()) == pytest.approx(max_norm, rel=1e-3)
    assert float(delta.norm()) == pytest.approx(max_norm, rel=1e-3)
    # the same update up to float16 rounding of the backward (measured:
    # 0.34% of its norm)
    assert float((delta - reference).norm()) < 0.02 * max_norm


def test_loss_scaler_state_through_a_checkpoint(tmp_path):
    """The scale and growth tracker survive ``state_dict`` -> file ->
    ``load_state_dict`` (what ``--resume`` does), with the optimiser's
    state; checkpoints without scaler state leave a fresh scaler."""
    torch.manual_seed(0)
    model = nn.Linear(4, 2)

    def make():
        return MultiTaskAmpOptimWrapper(
            torch.optim.AdamW(model.parameters(), lr=1e-3),
            dtype='float16',
            loss_scale=dict(init_scale=256.))  # dynamic, from 256

    wrapper = make()
    x = torch.randn(3, 4)
    for value in (float('inf'), 1.0, 1.0):  # an overflow halves the scale
        with wrapper.optim_context(model):
            loss = model(x).float().sum() * value
        wrapper.update_params(loss)
    state = wrapper.state_dict()
    assert state['loss_scaler']['scale'] == 128.0
    assert state['loss_scaler']['_growth_tracker'] == 2
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(optimizer=state), path)
    loaded = torch.load(path, weights_only=True)['optimizer']

    resumed = make()
    resumed.load_state_dict(loaded)
    assert resumed.loss_scaler.state_dict() == state['loss_scaler']
    assert resumed.optimizer.state_dict()['state'][0]['step'] == 2
    # float32 (no loss_scaler) and bfloat16 (an empty one) checkpoints
    for other in (OptimWrapper(torch.optim.AdamW(model.parameters())),
                  MultiTaskAmpOptimWrapper(
                      torch.optim.AdamW(model.parameters()))):
        fresh = make()
        fresh.load_state_dict(other.state_dict())
        assert fresh.loss_scaler.get_scale() == 256.0


def test_layer_norm_statistics_are_float32_under_cpu_autocast():
    """CPU autocast keeps LayerNorm in bfloat16 in and out, but the kernel
    computes mean and variance in float32: the result is a float32
    LayerNorm rounded to bfloat16 (bfloat16 statistics of values around
    1000 would be off by tenths)."""
    torch.manual_seed(0)
    norm = nn.LayerNorm(96)
    with torch.no_grad():
        norm.weight.normal_()
        norm.bias.normal_()
    x = (torch.randn(64, 96) * 30 + 1000).bfloat16()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = norm(x)
    reference = norm(x.float())
    assert out.dtype == torch.bfloat16
    # within one bfloat16 rounding (relative 2^-8) of the float32 result
    err = (out.float() - reference).abs()
    assert bool((err <= reference.abs() * 2**-8 + 2**-8).all())


def test_float32_islands_under_autocast(segmentor):
    """Losses, the heads' loss_by_feat, hypernetwork generation and
    post-processed predictions are float32 inside a bfloat16 forward; the
    backbone's features are not."""
    init_default_scope('mmseg')
    data = segmentor.data_preprocessor(uint8_batch(), False)
    inputs, samples = data['inputs'], data['data_samples']
    tuner = segmentor.backbone.tuner
    generated = []
    tuner.generate = lambda task: generated.append(
        type(tuner).generate(tuner, task)) or generated[-1]
    with torch.no_grad(), autocast_context('cpu'):
        feats = segmentor.extract_feat(inputs, ('normals', ))['normals']
        del tuner.generate
        assert feats[0].dtype == torch.bfloat16
        head = segmentor.decode_heads['normals']
        logits = head.forward(feats)
        assert logits.dtype == torch.bfloat16
        losses = head.loss_by_feat(logits, samples)
        assert all(v.dtype == torch.float32 for v in losses.values())
        expected = head.loss_by_feat(logits.float(), samples)
        for key, value in losses.items():
            assert torch.equal(value, expected[key]), key
        tensors = [
            t for weights in generated for w in weights.values()
            for t in (w.down_bias, w.up_bias)
        ]
        assert tensors and all(t.dtype == torch.float32 for t in tensors)
        preds = segmentor.predict(inputs, copy.deepcopy(samples))
    assert preds[0].pred_normals.data.dtype == torch.float32
    assert preds[0].pred_sal.data.dtype == torch.float32


def test_float32_function_casts_only_low_precision():

    @float32_function
    def dtypes(*args, **kwargs):
        assert not torch.is_autocast_enabled('cpu')
        return [a.dtype for a in args] + [kwargs['k'][0].dtype]

    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert dtypes(
            torch.ones(1, dtype=torch.bfloat16),
            torch.ones(1, dtype=torch.float64),
            torch.ones(1, dtype=torch.long),
            k=[torch.ones(1, dtype=torch.float16)
               ]) == [torch.float32, torch.float64, torch.long, torch.float32]


def test_inferencer_amp_runs_bfloat16_and_predicts_float32():
    """``amp=True``: the model runs in bfloat16 on a CPU, the predictions
    are float32 and close to the float32 model's (same weights)."""
    from make_fixtures import fixture_config

    from mmpoly.apis import MultiTaskInferencer
    image = np.load(osp.join(FIXTURES, 'polyhistor_toy_image.npz'))['image']
    inferencer = MultiTaskInferencer(
        fixture_config(), None, device='cpu', amp=True)
    assert inferencer.amp_dtype == torch.bfloat16
    seen = []  # the dtype of a backbone block's FFN output, per pass
    ffn = inferencer.model.backbone.backbone.stages[0].blocks[0].ffn
    ffn.register_forward_hook(lambda m, args, out: seen.append(out.dtype))
    preds = inferencer(image)['predictions']
    assert seen and set(seen) == {torch.bfloat16}
    seen.clear()
    inferencer.amp_dtype = None  # the same model in float32
    expected = inferencer(image)['predictions']
    assert seen and set(seen) == {torch.float32}
    for task in ('sal', 'normals'):
        assert preds[task].dtype == expected[task].dtype == np.float32
    assert np.abs(preds['sal'] - expected['sal']).max() < 0.02
    assert np.abs(preds['normals'] - expected['normals']).mean() < 0.02
    for task in ('semseg', 'human_parts'):
        assert (preds[task] == expected[task]).mean() > 0.95, task
