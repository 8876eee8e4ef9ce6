"""MTLoRA's task streams compute what the reference computes."""
import pytest
import torch
import torch.nn.functional as F
from mmpoly_test_utils import build_peft_backbone

TASKS = ('semseg', 'sal')


def build(stream_mode='matrix'):
    backbone = build_peft_backbone(
        dict(
            type='MTLoRA', shared_rank=4, task_rank=2,
            stream_mode=stream_mode),
        tasks=TASKS,
        per_task_out_norms=False)
    torch.manual_seed(1)
    with torch.no_grad():  # every LoRA term non-zero
        for p in backbone.tuner.parameters():
            p.normal_(std=0.1)
    return backbone.eval()


def record_linears(block_info):
    """Hooks after the tuner's: (input, output) of each Linear, per call."""
    calls = {name: [] for name in block_info.linears}
    handles = [
        linear.register_forward_hook(
            lambda m, a, o, name=name: calls[name].append((a[0], o)))
        for name, linear in block_info.linears.items()
    ]
    return calls, handles


def test_matrix_stream_is_frozen_shared_plus_task_term():
    """In a stream: ``y_t = W x_shared + b + s B_t A_t x_t`` for proj, fc1,
    fc2; qkv (so attention) is the shared pass's; the shared LoRA term is
    absent from the stream."""
    backbone = build()
    tuner = backbone.tuner
    stage = 1
    info = tuner.arch.stages[stage][-1]
    calls, handles = record_linears(info)
    with torch.no_grad():
        backbone.forward_tasks(torch.randn(1, 3, 64, 64), TASKS)
    for h in handles:
        h.remove()
    # attention once, on the shared stream: the streams start at proj
    assert len(calls['qkv']) == 1
    for name in ('proj', 'fc1', 'fc2'):
        # the shared pass, then one stream per task
        assert len(calls[name]) == 1 + len(TASKS), name
    linears = info.linears
    for k, task in enumerate(TASKS, start=1):
        lora = tuner.task[task][stage]
        for name in ('proj', 'fc1', 'fc2'):
            x_shared = calls[name][0][0]
            x_t, y_t = calls[name][k]
            lin = linears[name]
            want = F.linear(x_shared, lin.weight, lin.bias) + lora[name](x_t)
            torch.testing.assert_close(y_t, want)
        # proj reads the shared attention output
        torch.testing.assert_close(calls['proj'][k][0], calls['proj'][0][0])
        # and fc1 reads the stream's own activations, not the shared ones
        assert not torch.allclose(calls['fc1'][k][0], calls['fc1'][0][0])


def test_matrix_stream_dropout_is_drawn_once_per_linear():
    """In training, as in the reference: the task term at proj reads the
    shared term's dropped-out input (one mask per Linear of the shared
    pass), those at fc1 and fc2 the stream's activations without
    dropout."""
    backbone = build_peft_backbone(
        dict(type='MTLoRA', shared_rank=2, task_rank=2, dropout=0.5),
        tasks=TASKS,
        per_task_out_norms=False).train()
    tuner = backbone.tuner
    stage = 1
    info = tuner.arch.stages[stage][-1]
    shared_proj = tuner.shared[stage][-1]['proj']
    torch.manual_seed(1)
    with torch.no_grad():
        for p in tuner.parameters():
            p.normal_(std=0.1)
        for t in TASKS:  # each task's proj term equal to the shared one
            tuner.task[t][stage]['proj'].load_state_dict(
                shared_proj.state_dict())
    calls, handles = record_linears(info)
    with torch.no_grad():
        backbone.forward_tasks(torch.randn(1, 3, 64, 64), TASKS)
    for h in handles:
        h.remove()
    x, y = calls['proj'][0]
    lin = info.linears['proj']
    with torch.no_grad():  # dropout is on
        undropped = F.linear(x, lin.weight, lin.bias) + shared_proj.low_rank(x)
    assert not torch.allclose(y, undropped)
    for k, task in enumerate(TASKS, start=1):
        torch.testing.assert_close(calls['proj'][k][1], y)  # the same mask
        for name in ('fc1', 'fc2'):
            x_t, y_t = calls[name][k]
            lin = info.linears[name]
            with torch.no_grad():
                want = F.linear(calls[name][0][0], lin.weight, lin.bias) + \
                    tuner.task[task][stage][name].low_rank(x_t)
            torch.testing.assert_close(y_t, want)


def test_stream_output_is_its_residual_sum():
    """fc1 reads the norm of the stream's attention output ``u_t``; the
    stream's output ``u_t + fc2_t`` is the task's feature of the stage
    (through the backbone's own output norm, kept here)."""
    backbone = build()
    tuner = backbone.tuner
    stage = 0
    info = tuner.arch.stages[stage][-1]
    ffn_calls = []

    def keep_ffn(module, args, kwargs, out):
        ffn_calls.append((kwargs['identity'], out))

    handle = info.block.ffn.register_forward_hook(keep_ffn, with_kwargs=True)
    calls, handles = record_linears(info)
    with torch.no_grad():
        feats = backbone.forward_tasks(torch.randn(1, 3, 64, 64), TASKS)
    handle.remove()
    for h in handles:
        h.remove()
    for k, task in enumerate(TASKS, start=1):
        u_t, out = ffn_calls[k]
        torch.testing.assert_close(calls['fc1'][k][0], info.block.norm2(u_t))
        torch.testing.assert_close(out, u_t + calls['fc2'][k][1])
        feature = backbone.backbone.norm0(out).view(1, 16, 16,
                                                    -1).permute(0, 3, 1, 2)
        torch.testing.assert_close(feats[task][stage], feature)


@pytest.mark.parametrize('mode', ['matrix', 'rerun'])
def test_modes_share_their_parameters_but_not_their_streams(mode):
    matrix, other = build('matrix'), build(mode)
    assert [n for n, _ in matrix.named_parameters()
            ] == [n for n, _ in other.named_parameters()]
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        a = matrix.forward_tasks(x, TASKS)
        b = other.forward_tasks(x, TASKS)
    same = torch.allclose(a['sal'][0], b['sal'][0])
    assert same == (mode == 'matrix')


def test_bad_stream_mode_is_named():
    with pytest.raises(ValueError, match='stream_mode'):
        build('matrixv2')


def merged_swin():
    """The small Swin with its outputs after patch merging and no output
    norms (the MTLoRA protocol's features)."""
    from mmpoly_test_utils import mini_swin
    return dict(mini_swin(), out_after_downsample=True, norm_cfg=None)


def test_streams_give_features_after_patch_merging():
    """Under the MTLoRA protocol a task's feature is its stream's output
    passed through the stage's (frozen) patch merging: with zero task terms
    every stream is the shared stream, so the features are the plain
    backbone's post-merge outputs."""
    backbone = build_peft_backbone(
        dict(type='MTLoRA', shared_rank=4, task_rank=2),
        swin=merged_swin(),
        tasks=TASKS,
        per_task_out_norms=False).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        feats = backbone.forward_tasks(x, TASKS)
        plain = backbone.backbone(x)  # hooks on, outside a pass: shared
    widths = [f.shape[1] for f in feats['sal']]
    assert widths == [64, 128, 256, 256]  # 2C per merged stage, C last
    for t in TASKS:
        for a, b in zip(feats[t], plain):
            assert a.shape == b.shape
            assert torch.allclose(a, b, atol=1e-5)
    # a task's own term changes its merged features (all but none of them)
    with torch.no_grad():
        for p in backbone.tuner.task['sal'].parameters():
            p.normal_(std=0.1)
        feats = backbone.forward_tasks(x, TASKS)
    for a, b in zip(feats['sal'], feats['semseg']):
        assert not torch.allclose(a, b, atol=1e-4)


def test_mtlora_plus_adds_lora_to_the_frozen_merge_reductions():
    backbone = build_peft_backbone(
        dict(
            type='MTLoRA',
            shared_rank=4,
            task_rank=2,
            merge_rank=3,
            unfreeze=('patch_embed', 'norm', 'relative_position_bias_table')),
        swin=merged_swin(),
        tasks=TASKS,
        per_task_out_norms=False)
    tuner = backbone.tuner
    assert len(tuner.merge_lora) == 3  # no merging after the last stage
    for s, branch in enumerate(tuner.merge_lora):
        reduction = backbone.backbone.stages[s].downsample.reduction
        assert not reduction.weight.requires_grad
        assert branch.down.weight.shape == (3, reduction.in_features)
        assert branch.up.weight.shape == (reduction.out_features, 3)
    assert not any('reduction' in n for n in tuner.unfrozen)
    # the merge LoRA is in every merging's output (shared and streams)
    with torch.no_grad():
        tuner.merge_lora[0].up.weight.normal_(std=0.1)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        on = backbone.forward_tasks(x, TASKS)['sal'][0]
        tuner.merge_lora[0].up.weight.zero_()
        off = backbone.forward_tasks(x, TASKS)['sal'][0]
    assert not torch.allclose(on, off, atol=1e-4)


def test_mtlora_plus_needs_patch_merging_linears():
    from mmpoly.models.archs import UnsupportedBackboneError
    from mmpoly_test_utils import MINI_FAMILIES
    with pytest.raises(UnsupportedBackboneError,
                       match='MTLoRA cannot run on .*patch-merging Linear'):
        build_peft_backbone(
            dict(type='MTLoRA', shared_rank=2, task_rank=2, merge_rank=2),
            swin=MINI_FAMILIES['vit']['backbone'],
            tasks=TASKS,
            per_task_out_norms=False)


def test_streams_keep_the_backbones_own_output_norms():
    """Without per-task norms the backbone's output norms stay, and the
    task streams' features go through them as the shared output does."""
    backbone = build_peft_backbone(
        dict(type='MTLoRA', shared_rank=4, task_rank=2),
        tasks=TASKS,
        per_task_out_norms=False).eval()
    with torch.no_grad():
        backbone.backbone.norm2.weight.mul_(3.0)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        feats = backbone.forward_tasks(x, TASKS)
        plain = backbone.backbone(x)
    for a, b in zip(feats['sal'], plain):
        assert torch.allclose(a, b, atol=1e-5)


def test_streams_sharing_attention_equal_recomputing_it(monkeypatch):
    """Streams that take the shared pass's attention output instead of
    recomputing the attention (whose qkv is the shared one) give the same
    features and gradients (fp64, no dropout), with one attention per pass
    (DiTASK's streams: tests/models/test_ditask.py)."""
    from mmpoly.models.tuners.base import TaskStreamTuner

    def build_double():
        return build_peft_backbone(
            dict(type='MTLoRA', shared_rank=4, task_rank=2),
            swin=merged_swin(),
            tasks=TASKS,
            per_task_out_norms=False).double().eval()

    shared = build_double()
    with monkeypatch.context() as m:
        m.setattr(TaskStreamTuner, '_shares_attention',
                  lambda self, info: False)
        recomputed = build_double()
    torch.manual_seed(2)
    with torch.no_grad():
        for p in shared.tuner.parameters():
            p.add_(0.1 * torch.randn_like(p))
    recomputed.load_state_dict(shared.state_dict())
    x = torch.randn(1, 3, 64, 64, dtype=torch.float64)
    outs, grads, qkv_calls = [], [], []
    for backbone in (shared, recomputed):
        calls = []
        info = backbone.tuner.arch.stages[1][-1]
        handle = info.linears['qkv'].register_forward_hook(
            lambda *a: calls.append(1))
        feats = backbone.forward_tasks(x, TASKS)
        handle.remove()
        sum(f.sum() for t in TASKS for f in feats[t]).backward()
        outs.append([f for t in TASKS for f in feats[t]])
        grads.append({
            n: p.grad
            for n, p in backbone.named_parameters() if p.grad is not None
        })
        qkv_calls.append(len(calls))
    assert qkv_calls == [1, 1 + len(TASKS)]
    for a, b in zip(*outs):
        torch.testing.assert_close(a, b)
    assert grads[0].keys() == grads[1].keys() and grads[0]
    for name, g in grads[0].items():
        torch.testing.assert_close(g, grads[1][name], msg=name)
