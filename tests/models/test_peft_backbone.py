"""PEFTBackbone: the wrapper mechanics independent of the method."""
import pytest
import torch
from mmpoly_test_utils import (TASKS, build_peft_backbone, mini_swin,
                               small_tuner)
from mmseg.registry import MODELS

from mmpoly.models.archs import UnsupportedBackboneError
from mmpoly.models.run_mode import RunMode

MMSEG_SWIN = dict(
    type='SwinTransformer',  # MMSeg's own Swin
    embed_dims=32,
    depths=(2, 2, 2, 2),
    num_heads=(1, 2, 4, 8),
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.0)


def build(backbone=None, **kw):
    return build_peft_backbone(swin=backbone, **kw)


@pytest.mark.parametrize('kind',
                         ['Polyhistor', 'PolyhistorLite', 'AdapterTuner'])
def test_mmseg_swin_is_supported(kind):
    tuner = small_tuner(kind) if kind != 'AdapterTuner' else dict(
        type=kind, reduction=2)
    bb = build(MMSEG_SWIN, tuner=tuner)
    assert bb.tuner.arch.widths == [32, 64, 128, 256]
    assert bb.feature_channels == (32, 64, 128, 256)
    out = bb.forward_tasks(torch.randn(1, 3, 64, 64), ['semseg', 'sal'])
    assert [o.shape[1] for o in out['semseg']] == [32, 64, 128, 256]
    assert not torch.allclose(out['semseg'][0], out['sal'][0])


def test_decoder_only_shares_one_pass_and_norms_start_pretrained():
    bb = build()
    assert bb.run_mode is RunMode.SHARED and bb.tuner is None
    plain = MODELS.build(mini_swin())
    state = {k: v for k, v in bb.backbone.state_dict().items()}
    for i in range(4):  # the per-task norms were copied from the backbone's
        for t in TASKS:
            state[f'norm{i}.weight'] = bb.out_norms[t][i].weight
            state[f'norm{i}.bias'] = bb.out_norms[t][i].bias
    plain.load_state_dict(state)
    bb.eval()
    plain.eval()
    x = torch.randn(2, 3, 64, 64)
    calls = []
    bb.backbone.register_forward_hook(lambda *a: calls.append(1))
    with torch.no_grad():
        out = bb.forward_tasks(x, TASKS)
        ref = plain(x)
    assert len(calls) == 1  # one backbone pass for all tasks
    for t in TASKS:
        for a, b in zip(out[t], ref):
            assert torch.allclose(a, b, atol=1e-5)
    trainable = {n for n, p in bb.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith('out_norms.') for n in trainable)


def test_shared_tuner_runs_one_pass():
    bb = build(tuner=dict(type='AdapterTuner', shared=True))
    assert bb.run_mode is RunMode.SHARED
    calls = []
    bb.backbone.register_forward_hook(lambda *a: calls.append(1))
    bb.forward_tasks(torch.randn(1, 3, 64, 64), TASKS)
    assert len(calls) == 1


def test_per_task_tuner_runs_one_pass_per_task():
    bb = build(tuner=small_tuner())
    calls = []
    bb.backbone.register_forward_hook(lambda *a: calls.append(1))
    bb.forward_tasks(torch.randn(1, 3, 64, 64), TASKS)
    assert len(calls) == len(TASKS)


def test_train_mode_keeps_frozen_parts_deterministic_when_asked():
    bb = build(
        backbone=mini_swin(drop_path_rate=0.5), frozen_stochastic_depth=False)
    bb.train()
    names = {type(m).__name__ for m in bb.backbone.modules() if m.training}
    assert 'DropPath' not in names and 'Dropout' not in names
    x = torch.randn(1, 3, 64, 64)
    a = bb.forward_tasks(x, ['sal'])['sal'][-1]
    b = bb.forward_tasks(x, ['sal'])['sal'][-1]
    assert torch.equal(a, b)
    stochastic = build(backbone=mini_swin(drop_path_rate=0.5))
    stochastic.train()
    drop = [
        m for m in stochastic.backbone.modules()
        if type(m).__name__ == 'DropPath'
    ]
    assert drop and all(m.training for m in drop)
    c = stochastic.forward_tasks(x, ['sal'])['sal'][-1]
    d = stochastic.forward_tasks(x, ['sal'])['sal'][-1]
    assert not torch.equal(c, d)


def test_errors_name_the_problem():
    with pytest.raises(KeyError, match='not .nope'):
        build().forward_tasks(torch.randn(1, 3, 64, 64), ['nope'])
    with pytest.raises(ValueError, match='task='):
        build()(torch.randn(1, 3, 64, 64))
    with pytest.raises(KeyError, match='AllMLPHead.*tuner'):
        build(
            tuner=dict(
                type='AllMLPHead',
                task=dict(type='BinaryTask', name='sal'),
                in_channels=[8],
                in_index=[0],
                channels=4))
    with pytest.raises(
            UnsupportedBackboneError,
            match='no architecture description of ResNet .described: '
            'mmpretrain.ConvNeXt, mmpretrain.SwinTransformer, '
            'mmpretrain.SwinTransformerV2, mmpretrain.VisionTransformer, '
            'mmseg.SwinTransformer.'):
        MODELS.build(
            dict(
                type='PEFTBackbone',
                tasks=TASKS,
                tuner=small_tuner(),
                per_task_out_norms=False,
                backbone=dict(
                    type='mmpretrain.ResNet',
                    depth=18,
                    out_indices=(0, 1, 2, 3))))


def test_fingerprint_check_can_be_disabled():
    a = build(tuner=small_tuner(), save_trainable_only=True)
    state = a.state_dict()
    torch.manual_seed(5)
    b = MODELS.build(
        dict(
            type='PEFTBackbone',
            backbone=mini_swin(),
            tasks=TASKS,
            tuner=small_tuner(),
            check_frozen_fingerprint=False))
    b.load_state_dict(state, strict=False)  # no error
    for (n, p), (_, q) in zip(a.tuner.named_parameters(),
                              b.tuner.named_parameters()):
        assert torch.equal(p, q), n
