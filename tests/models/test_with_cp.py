"""Activation checkpointing (``with_cp=True``) under every tuning method.

The wrapper checkpoints the blocks itself and replays the tuner's pass
state when a block is recomputed (``mmpoly.models.backbones.
block_checkpoint``). Through the per-task train step, where each task's
blocks are recomputed in that task's backward after its pass has ended,
the loss and every trainable parameter's gradient must equal those of the
same model without checkpointing (fp64, the same random numbers: dropout
is replayed by the checkpoint).
"""
import copy
import inspect
from contextlib import contextmanager

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmpoly_test_utils import MINI_FAMILIES, fake_batch, mini_swin, task_cfgs
from mmseg.registry import MODELS
from test_methods import METHOD_TUNERS

from mmpoly.registry import TUNERS

TASKS = ('semseg', 'normals')

#: Every method of the benchmark, and the per-task pass floor.
CASES = dict(METHOD_TUNERS, **{'per-task-pass': dict(type='PerTaskPass')})

#: A smaller Swin than ``mini_swin``'s (16 channels, 6 blocks): every stage
#: still has a first block that is not its last after the first stage.
TINY_SWIN = mini_swin(
    arch=dict(embed_dims=16, depths=[1, 2, 2, 1], num_heads=[1, 2, 4, 8]))


def build(tuner: dict, with_cp: bool = True, backbone: dict = TINY_SWIN):
    """A seeded fp64 segmentor over ``backbone`` built with ``with_cp``."""
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='MultiTaskSegmentor',
            backbone=dict(
                type='PEFTBackbone',
                backbone=dict(backbone, with_cp=with_cp),
                tuner=dict(tuner)),
            tasks=task_cfgs(TASKS),
            decode_head=dict(type='AllMLPHead', channels=8),
        )).double()
    model.data_preprocessor = _Passthrough()  # the batch is already made
    return model


class _Passthrough(torch.nn.Module):

    def forward(self, data, training=False):
        return data


@contextmanager
def checkpointing(model, enabled: bool):
    """The model's block checkpointing switched on or off."""
    handles = model.backbone.block_checkpoints
    for h in handles:
        h.enabled = enabled
    try:
        yield
    finally:
        for h in handles:
            h.enabled = True


def train_step(model) -> tuple:
    """Loss and gradients of one per-task train step, and how often a
    layer inside a block of the second stage ran (twice per pass when the
    block is recomputed)."""
    model.train()
    inputs, samples = fake_batch(TASKS, n=2, size=32)
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    grads = {}
    opt = torch.optim.SGD(list(trainable.values()), lr=0.0)
    opt.register_step_pre_hook(lambda *_: grads.update({
        n: p.grad.clone()
        for n, p in trainable.items() if p.grad is not None
    }))
    runs = []
    block = model.backbone.arch.stages[1][0].block
    layer = block.norm1 if hasattr(block, 'norm1') else block.depthwise_conv
    handle = layer.register_forward_pre_hook(lambda *_: runs.append(1))
    torch.manual_seed(1)  # dropout of the methods that have it
    log_vars = model.train_step(
        dict(inputs=inputs.double(), data_samples=samples), OptimWrapper(opt))
    handle.remove()
    return log_vars['loss'].detach(), grads, len(runs)


def assert_same_step(plain: tuple, checkpointed: tuple) -> None:
    """The checkpointed train step (:func:`train_step`'s results)
    recomputed its blocks and gave the plain step's loss and gradients."""
    (loss, grads, runs), (cp_loss, cp_grads, cp_runs) = plain, checkpointed
    assert runs and cp_runs == 2 * runs  # every pass's block recomputed
    torch.testing.assert_close(cp_loss, loss, rtol=1e-12, atol=0)
    assert set(cp_grads) == set(grads) and grads
    for name, grad in grads.items():
        torch.testing.assert_close(
            cp_grads[name], grad, rtol=1e-9, atol=1e-12, msg=name)


@pytest.mark.parametrize('method', sorted(CASES))
def test_gradients_equal_with_and_without_cp(method):
    model = build(CASES[method])
    assert len(model.backbone.block_checkpoints) == len(
        model.backbone.arch.blocks)
    with checkpointing(model, False):
        plain = train_step(model)
    assert_same_step(plain, train_step(model))


def test_with_cp_config_keeps_keys_and_gradients():
    """``with_cp=True`` in the backbone's config against a model built
    without it: same state-dict keys, same step."""
    plain = build(CASES['polyhistor'], with_cp=False)
    checkpointed = build(CASES['polyhistor'], with_cp=True)
    assert not plain.backbone.block_checkpoints
    assert list(plain.state_dict()) == list(checkpointed.state_dict())
    assert_same_step(train_step(plain), train_step(checkpointed))


def test_convnext_blocks_checkpointed():
    convnext = copy.deepcopy(MINI_FAMILIES['convnext']['backbone'])
    convnext['arch'] = dict(depths=[1, 1, 1, 1], channels=[16, 32, 64, 128])
    plain = build(
        dict(CASES['polyhistor'], positions=('ffn', )), False, convnext)
    checkpointed = build(
        dict(CASES['polyhistor'], positions=('ffn', )), True, convnext)
    assert len(checkpointed.backbone.block_checkpoints) == 4
    assert_same_step(train_step(plain), train_step(checkpointed))


def test_every_registered_tuner_is_covered():
    """A new tuner joins :data:`CASES` (a generic base class is covered by
    its registered subclasses)."""
    used = {TUNERS.get(cfg['type']) for cfg in CASES.values()}
    for name, cls in TUNERS.module_dict.items():
        assert any(issubclass(u, cls) for u in used), name
        assert not inspect.isabstract(cls), name


def test_no_checkpoint_without_autograd(monkeypatch):
    """Inference runs the blocks as they are; training checkpoints them."""
    from mmpoly.models.backbones import block_checkpoint
    calls = []
    original = block_checkpoint.checkpoint
    monkeypatch.setattr(block_checkpoint, 'checkpoint',
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    backbone = build(CASES['polyhistor']).backbone
    x = torch.randn(1, 3, 32, 32, dtype=torch.float64)
    with torch.no_grad():
        backbone.forward_tasks(x, TASKS)
    assert not calls
    backbone.forward_tasks(x, TASKS)
    assert len(calls) == len(TASKS) * len(backbone.block_checkpoints)
