"""Every tuning method of the benchmark, on a small Swin."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmpoly_test_utils import (TASKS, fake_batch, mini_swin, segmentor_cfg,
                               small_tuner)
from mmseg.registry import MODELS

from mmpoly.models.archs.swin.prompted_attention import \
    prompted_window_attention

# yapf: disable
METHOD_TUNERS = {
    'bitfit': dict(type='BitFit'),
    'relative-bias': dict(type='RelativeBiasTuning'),
    'vpt-shallow': dict(type='VPTShallow', num_tokens=5),
    'vpt-deep': dict(type='VPTDeep', num_tokens=5),
    'lora': dict(type='LoRATuner', rank=4),
    'dora': dict(type='DoRATuner', rank=4),
    'ia3': dict(type='IA3'),
    'adapter': dict(type='AdapterTuner', reduction=2),
    'shared-adapter': dict(type='SharedAdapter', reduction=2),
    'low-rank-adapter': dict(type='LowRankAdapter', reduction=2, rank=4),
    'phm-adapter': dict(type='PHMAdapter'),
    'compacter': dict(type='Compacter'),
    'compacter++': dict(type='CompacterPP'),
    'hyperformer': dict(type='Hyperformer', embed_dims=8, hidden_dims=8,
                        code_dims=4, reduction=4),
    'hyperformer++': dict(type='HyperformerPP', embed_dims=8, hidden_dims=8,
                          code_dims=4, reduction=4),
    'mtlora': dict(type='MTLoRA', shared_rank=4, task_rank=2),
    'dora-mtlora': dict(type='DoRAMTLoRA', shared_rank=4, task_rank=2),
    'tadformer': dict(type='TADFormer', rank=4),
    'ditask': dict(type='DiTASK', tess_size=8, task_tess_size=4),
    'mona': dict(type='Mona', bottleneck=8),
    'mona-shared': dict(type='Mona', bottleneck=8, shared=True),
    'polyhistor': small_tuner('Polyhistor'),
    'polyhistor-lite': small_tuner('PolyhistorLite'),
}
# yapf: enable
SHARED = {'shared-adapter', 'mona-shared'}
#: Methods in MTLoRA's layout (one pass, task streams at stage ends), with
#: the number of tensors of a shared branch (LoRA: A, B; DoRA: also m).
#: TADFormer: none, its streams' terms use the shared branches themselves.
#: DiTASK: one theta on each of the roles below.
TASK_STREAMS = {'mtlora': 2, 'dora-mtlora': 3, 'tadformer': 0, 'ditask': 3}
#: The Linear roles of the last stage's last block whose shared terms no
#: task stream reads (default: fc2's). A DiTASK stream's warped proj, fc1
#: and fc2 use the task's warp of the pretrained weight alone.
STREAM_UNUSED_ROLES = {'ditask': ('proj', 'fc1', 'fc2')}
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def build(tuner, seed=0, **kw):
    torch.manual_seed(seed)
    cfg = segmentor_cfg(
        dict(
            type='PEFTBackbone', backbone=mini_swin(), tuner=dict(tuner),
            **kw))
    cfg['decode_head']['dropout_ratio'] = 0.0
    return MODELS.build(cfg)


@pytest.mark.parametrize('method', sorted(METHOD_TUNERS))
def test_only_own_parameters_train_and_frozen_stay_identical(method):
    model = build(METHOD_TUNERS[method])
    tuner = model.backbone.tuner
    allowed = ('backbone.tuner.', 'backbone.out_norms.', 'decode_heads.')
    unfrozen = {
        'backbone.backbone.' + n
        for n in getattr(tuner, 'unfrozen', [])
    }
    for n, p in model.named_parameters():
        expect = n.startswith(allowed) or n in unfrozen
        assert p.requires_grad == expect, n
    assert sum(p.numel() for p in tuner.parameters()) > 0
    frozen = {
        n: p.detach().clone()
        for n, p in model.named_parameters() if not p.requires_grad
    }
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                            lr=1e-2)
    got_grad = {
        n: False
        for n, p in model.named_parameters() if p.requires_grad
    }
    # MTLoRA as its authors compute it: every task feature comes from a
    # task stream, whose fc2 is the frozen fc2 of the shared input plus the
    # task's term, so the shared term on fc2 of the last stage's last block
    # feeds nothing (the reference trains and counts it all the same); the
    # same holds for DoRA in MTLoRA's layout (and DiTASK's proj, fc1, fc2)
    last = tuple(f'backbone.tuner.shared.3.{len(tuner.arch.stages[3]) - 1}.'
                 f'{role}.'
                 for role in STREAM_UNUSED_ROLES.get(method, ('fc2', )))
    unused = {
        n
        for n in got_grad if TASK_STREAMS.get(method) and n.startswith(last)
    }
    assert len(unused) == TASK_STREAMS.get(method, 0)
    # TADFormer builds a prompt_layernorm in every block, as its authors
    # do (and counts it), but only the stages' last blocks use it
    if method == 'tadformer':
        unused = {
            f'backbone.tuner.prompt_layernorm.{s}.{i}.{w}'
            for s, blocks in enumerate(tuner.arch.stages)
            for i in range(len(blocks) - 1)
            for w in ('weight', 'bias')
        }
        assert unused <= set(got_grad)
    model.train()
    # LoRA's A only gets gradients once B != 0; in an MTLoRA stream fc1's
    # task term reaches the output only through fc2's: one step more
    for step in range(3 if method in TASK_STREAMS else 2):
        inputs, samples = fake_batch(seed=step)
        loss, _ = model.parse_losses(model.loss(inputs, samples))
        opt.zero_grad()
        loss.backward()
        for n, p in model.named_parameters():
            if n in unused:
                assert p.grad is None, n
                got_grad[n] = True
            elif p.requires_grad:
                assert p.grad is not None, n
                got_grad[n] |= bool(p.grad.abs().sum() > 0)
            else:
                assert p.grad is None, n
        opt.step()
    assert all(got_grad.values()), [n for n, g in got_grad.items() if not g]
    for n, p in model.named_parameters():
        if n in frozen:
            assert torch.equal(p, frozen[n]), n
    assert (not model.backbone.run_mode.passes_per_task) == (
        method in SHARED or method in TASK_STREAMS)


@pytest.mark.parametrize('method', sorted(METHOD_TUNERS))
def test_adapter_only_checkpoint_round_trip(method):
    model = build(METHOD_TUNERS[method], seed=3, save_trainable_only=True)
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(0.05 * torch.randn_like(p))
    state = model.state_dict()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    params = {n for n, _ in model.named_parameters()}
    assert {k for k in state if k in params} == trainable
    rebuilt = build(METHOD_TUNERS[method], seed=3)
    result = rebuilt.load_state_dict(state, strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
    model.eval()
    rebuilt.eval()
    inputs, _ = fake_batch(n=1)
    with torch.no_grad():
        a, b = model._forward(inputs), rebuilt._forward(inputs)
    for t in TASKS:
        assert torch.equal(a[t], b[t]), t


@pytest.mark.parametrize('method', [
    'bitfit', 'relative-bias', 'vpt-deep', 'lora', 'adapter', 'hyperformer',
    'mtlora'
])
def test_tasks_get_different_features(method):
    model = build(METHOD_TUNERS[method])
    with torch.no_grad():  # make every task's own tensors differ
        for p in model.backbone.tuner.parameters():
            p.add_(0.1 * torch.randn_like(p))
    model.eval()
    with torch.no_grad():
        out = model.extract_feat(torch.randn(1, 3, 64, 64))
    assert not torch.allclose(out['semseg'][-1], out['sal'][-1], atol=1e-4)


def test_vpt_without_prompts_equals_plain_attention():
    torch.manual_seed(0)
    plain = MODELS.build(mini_swin())
    for info_block in (plain.stages[0].blocks[1], plain.stages[2].blocks[0]):
        msa = info_block.attn.w_msa
        n = msa.window_size[0] * msa.window_size[1]
        x = torch.randn(8, n, msa.embed_dims)
        mask = torch.zeros(4, n, n)
        mask[1, :, :n // 2] = -100.0
        empty = torch.zeros(0, msa.embed_dims)
        for m in (None, mask):
            assert torch.allclose(
                prompted_window_attention(msa, empty, x, m),
                msa(x, mask=m),
                atol=1e-6)
    # and the whole VPT model with zero-length prompts is the backbone
    model = build(
        dict(type='VPT', num_tokens=0, deep=True), per_task_out_norms=False)
    plain.load_state_dict(model.backbone.backbone.state_dict())
    model.eval()
    plain.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        feats = model.backbone.forward_tasks(x, ['sal'])['sal']
        ref = plain(x)
    for a, b in zip(feats, ref):
        assert torch.allclose(a, b, atol=1e-5)


def test_vpt_prompts_are_attended_and_dropped():
    torch.manual_seed(0)
    msa = MODELS.build(mini_swin()).stages[0].blocks[0].attn.w_msa
    n = msa.window_size[0] * msa.window_size[1]
    x = torch.randn(2, n, msa.embed_dims)
    prompts = torch.randn(3, msa.embed_dims)
    out = prompted_window_attention(msa, prompts, x, None)
    assert out.shape == x.shape
    # reference: explicit concatenation, full attention, prompts dropped
    b, c, h = 2, msa.embed_dims, msa.num_heads
    full = torch.cat([x, prompts.expand(b, -1, -1)], 1)
    qkv = msa.qkv(full).reshape(b, n + 3, 3, h, c // h).permute(2, 0, 3, 1, 4)
    attn = (qkv[0] * msa.scale) @ qkv[1].transpose(-2, -1)
    bias = msa.relative_position_bias_table[msa.relative_position_index.view(
        -1)].view(n, n, -1).permute(2, 0, 1)
    attn[:, :, :n, :n] += bias
    ref = (attn.softmax(-1) @ qkv[2]).transpose(1, 2).reshape(b, n + 3, c)
    ref = msa.proj(ref)[:, :n]
    assert torch.allclose(out, ref, atol=1e-5)


def test_lora_with_zero_b_is_the_frozen_backbone():
    model = build(dict(type='LoRATuner', rank=4), per_task_out_norms=False)
    assert all(
        torch.count_nonzero(m.up.weight) == 0
        for m in model.backbone.tuner.modules()
        if type(m).__name__ == 'LoRABranch')
    plain = MODELS.build(mini_swin())
    plain.load_state_dict(model.backbone.backbone.state_dict())
    model.eval()
    plain.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        feats = model.backbone.forward_tasks(x, TASKS)
        ref = plain(x)
    for t in TASKS:
        for a, b in zip(feats[t], ref):
            assert torch.equal(a, b)


def test_mtlora_task_streams_branch_from_shared_pass():
    model = build(METHOD_TUNERS['mtlora'], per_task_out_norms=False)
    tuner = model.backbone.tuner
    calls = []
    model.backbone.backbone.register_forward_hook(lambda *a: calls.append(1))
    with torch.no_grad():
        for p in tuner.task.parameters():
            p.add_(0.1 * torch.randn_like(p))
    model.eval()
    with torch.no_grad():
        feats = model.backbone.forward_tasks(torch.randn(1, 3, 64, 64), TASKS)
    assert len(calls) == 1  # one backbone pass for all tasks
    assert not torch.allclose(feats['semseg'][0], feats['sal'][0])
    assert not tuner._outputs  # per-pass state released
    assert 'backbone.backbone.patch_embed.projection.weight' in {
        'backbone.backbone.' + n
        for n in tuner.unfrozen
    }


def test_compacter_shares_rules_across_layers():
    model = build(METHOD_TUNERS['compacter'])
    tuner = model.backbone.tuner
    assert set(tuner.rules) == set(TASKS)
    assert all(tuner.rules[t].shape == (4, 4, 4) for t in TASKS)
    # no adapter owns a rule tensor
    assert not any(n.endswith('.rule') for n, _ in tuner.named_parameters())


def two_iteration_runner(config: str, toy_root: str, work_dir: str, name: str):
    """The runner of a toy ``config`` shrunk to two iterations of batch 2
    and four validation images (its hooks and checkpoint settings kept), on
    the data at ``toy_root``."""
    from mmpoly.engine import MultiTaskRunner
    cfg = Config.fromfile(osp.join(REPO, config))
    for phase in ('train', 'val', 'test'):
        loader = cfg[f'{phase}_dataloader']
        loader.dataset.data_root = toy_root
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.batch_size = 2
        if phase != 'train':  # four images are enough to score every task
            loader.dataset.indices = 4
    cfg.train_cfg.max_iters = 2
    cfg.train_cfg.val_interval = 2
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
    cfg.default_hooks.checkpoint.interval = 2
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    cfg.visualizer.name = name
    return MultiTaskRunner.from_cfg(cfg)


#: Methods whose runner-level toy test another covers: the same module in
#: another run mode (mona-shared: mona), the same branch in MTLoRA's
#: streams (dora-mtlora: dora and mtlora), or the protocol's toy config
#: below (tadformer).
RUNNER_COVERED = {'mona-shared', 'dora-mtlora', 'tadformer'}


@pytest.mark.e2e
@pytest.mark.parametrize('method', sorted(set(METHOD_TUNERS) - RUNNER_COVERED))
def test_toy_config_trains_through_runner(method, toy_root, tmp_path):
    runner = two_iteration_runner(
        f'configs/toy/{method}_swin-mini_toy-pascal.py', toy_root,
        str(tmp_path), f'toy_{method}')
    runner.train()
    metrics = runner.test()
    assert {'semseg/mIoU', 'normals/mean', 'delta_m'} <= set(metrics)


@pytest.mark.e2e
@pytest.mark.parametrize('method', ['tadformer'])
def test_mtlora_protocol_toy_config_trains_through_runner(
        method, toy_root, tmp_path):
    """The MTLoRA protocol's model (features after patch merging, per-task
    Downsampler + HRNet-style heads) and data pipeline (flip, rotation and
    scale, fixed resize) in the real runner."""
    runner = two_iteration_runner(
        f'configs/toy/mtlora-protocol/{method}_swin-mini_toy-pascal.py',
        toy_root, str(tmp_path), f'toy_protocol_{method}')
    assert runner.model.backbone.feature_channels == (64, 128, 256, 256)
    heads = runner.model.decode_heads
    assert type(heads['semseg']).__name__ == 'HighResolutionHead'
    runner.train()
    metrics = runner.test()
    assert {'semseg/mIoU', 'normals/mean', 'delta_m'} <= set(metrics)
