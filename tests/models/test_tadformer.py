"""TADFormer computes what its formulas say, and counts what the paper
counts."""
import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F
from mmpoly_test_utils import MINI_FAMILIES, build_peft_backbone, mini_swin
from mmseg.registry import MODELS

from mmpoly.models.archs import UnsupportedBackboneError
from mmpoly.models.archs.swin.task_prompt_attention import (
    task_prompt_window_attention, windows_to_tokens)
from mmpoly.models.tuners.layers import DynamicTaskFilter, FilterNorm
from mmpoly.registry import TUNERS

TASKS = ('semseg', 'sal')
PASCAL = ['semseg', 'human_parts', 'sal', 'normals']
#: The MTLoRA protocol's decoders (downsamplers and HRNet heads), 4 tasks.
DECODERS = 1_946_624


@pytest.fixture(scope='module')
def swin_t():
    """Swin-T as the MTLoRA protocol uses it (outputs after patch merging,
    no output norms), frozen as PEFTBackbone freezes it (its weights'
    values do not matter for counting)."""
    backbone = MODELS.build(
        dict(
            type='mmpretrain.SwinTransformer',
            arch='tiny',
            out_indices=(0, 1, 2, 3),
            out_after_downsample=True,
            norm_cfg=None))
    backbone.requires_grad_(False)
    return backbone


@pytest.mark.parametrize('kind,rank,total', [
    ('dynamic', 16, 3_557_502),
    ('dynamic', 32, 4_776_126),
    ('dynamic', 64, 7_379_262),
    ('naive', 16, 3_532_350),
    ('naive', 32, 4_670_526),
    ('naive', 64, 6_946_878),
])
def test_swin_t_counts(swin_t, kind, rank, total):
    """What PEFTBackbone(per_task_out_norms=False) trains on Swin-T: the
    paper's counts (dynamic filters) and the released code's (naive)."""
    tuner = TUNERS.build(dict(type='TADFormer', rank=rank, filter=kind))
    tuner.attach(swin_t, PASCAL)
    try:
        extras = [p for p in swin_t.parameters() if p.requires_grad]
        assert sum(p.numel() for p in extras) == 51_258
        assert not any('reduction' in n for n in tuner.unfrozen)
        own = sum(p.numel() for p in tuner.parameters())
        assert own + 51_258 + DECODERS == total
    finally:
        tuner.detach()
        swin_t.requires_grad_(False)


def build(kind='dynamic', seed=1, **kw):
    backbone = build_peft_backbone(
        dict(type='TADFormer', rank=4, filter=kind),
        tasks=TASKS,
        per_task_out_norms=False,
        **kw)
    torch.manual_seed(seed)
    with torch.no_grad():  # every term non-zero, gates off 1/2
        for p in backbone.tuner.parameters():
            p.add_(0.2 * torch.randn_like(p))
        for g in backbone.tuner.prompt_gate:
            g.fill_(0.8)
    return backbone.eval()


def record_calls(info):
    """Forward hooks after the tuner's: (input, output) of each Linear of
    the block and the (identity, output) of its FFN, per call."""
    calls = {name: [] for name in list(info.linears) + ['ffn']}
    handles = [
        linear.register_forward_hook(
            lambda m, a, o, name=name: calls[name].append((a[0], o)))
        for name, linear in info.linears.items()
    ]
    handles.append(
        info.block.ffn.register_forward_hook(
            lambda m, a, kw, o: calls['ffn'].append((kw['identity'], o)),
            with_kwargs=True))
    return calls, handles


def run_recorded(backbone, stage, x):
    info = backbone.tuner.arch.stages[stage][-1]
    calls, handles = record_calls(info)
    with torch.no_grad():
        feats = backbone.forward_tasks(x, TASKS)
    for h in handles:
        h.remove()
    return info, calls, feats


def low_rank_term(tuner, stage, name, task, x, grid):
    """``4 B F_t(A x)`` by hand, with the tuner's filter module."""
    branch = tuner.shared[stage][-1][name]
    low = x @ branch.down.weight.t()
    n, _, r = low.shape
    maps = low.transpose(1, 2).reshape(n, r, *grid)
    f = tuner.filters[stage][name]
    maps = f(maps) if tuner.filter == 'dynamic' else f[task](maps)
    return 4.0 * (maps.flatten(2).transpose(1, 2) @ branch.up.weight.t())


@pytest.mark.parametrize('kind', ['dynamic', 'naive'])
def test_proj_stream_is_task_prompted_conv_then_ta_term(kind):
    """proj in a stream: ``W o + b + 4 B F_t(A LN_p(o + f_t))`` per window,
    ``f_t = GELU(q_prompt_t k^T)`` times each head's channels of ``o``;
    the stage feature is ``σ(g) f_t + (1 - σ(g)) z_t``."""
    backbone = build(kind)
    tuner = backbone.tuner
    stage = 1  # shifted last block, 8x8 grid padded to 14x14: 4 windows
    info, calls, feats = run_recorded(backbone, stage,
                                      torch.randn(2, 3, 64, 64))
    assert len(calls['qkv']) == 1  # attention once, in the shared pass
    assert len(calls['proj']) == len(calls['fc1']) == 1 + len(TASKS)
    num, heads = len(TASKS), info.num_heads
    qkv = calls['qkv'][0][1]
    b, rows, c3 = qkv.shape
    c = c3 // 3
    q, k = qkv[..., :c], qkv[..., c:2 * c]
    o = calls['proj'][0][0]
    proj = info.linears['proj']
    grid = tuple(info.attention.window_size)
    for t, task in enumerate(TASKS):
        f = torch.zeros(b, rows - num, c)
        for h in range(heads):
            ch = slice(h * c // heads, (h + 1) * c // heads)
            # q of prompt t times k of the tokens, per head: raw, unscaled
            logits = torch.einsum('bd,bnd->bn', q[:, t, ch], k[:, num:, ch])
            f[..., ch] = F.gelu(logits).unsqueeze(-1) * o[:, num:, ch]
        x_t = tuner.prompt_layernorm[stage][-1](o[:, num:] + f)
        want = F.linear(o[:, num:], proj.weight, proj.bias) + low_rank_term(
            tuner, stage, 'proj', task, x_t, grid)
        torch.testing.assert_close(calls['proj'][1 + t][1], want)
        # the gate between the skip feature and the stream output
        hw = feats[task][stage].shape[-2:]
        skip = windows_to_tokens(info.block.attn, f, tuple(hw))
        gate = torch.sigmoid(tuner.prompt_gate[stage].detach())
        z = calls['ffn'][1 + t][1]
        # then the backbone's own output norm (kept: no per-task norms)
        want = getattr(backbone.backbone,
                       f'norm{stage}')(gate * skip + (1 - gate) * z)
        torch.testing.assert_close(
            feats[task][stage],
            want.view(2, *hw, -1).permute(0, 3, 1, 2),
            atol=1e-4,
            rtol=1e-4)


@pytest.mark.parametrize('kind', ['dynamic', 'naive'])
def test_mlp_streams_are_ta_terms_on_the_grid(kind):
    """fc1, fc2 in a stream: ``W x_shared + b + 4 B F_t(A x_t)`` on the
    (H, W) map, ``x_t`` the norm of ``u_t = x + proj_t`` (token layout),
    then the activation of fc1_t; ``z_t = u_t + fc2_t``."""
    backbone = build(kind)
    tuner = backbone.tuner
    stage = 0
    x = torch.randn(2, 3, 64, 64)
    block_in = []
    handle = tuner.arch.stages[stage][-1].block.register_forward_pre_hook(
        lambda m, a: block_in.append(a[0]))
    info, calls, feats = run_recorded(backbone, stage, x)
    handle.remove()
    grid = (16, 16)
    for t, task in enumerate(TASKS, start=1):
        u_t, z_t = calls['ffn'][t]
        proj_t = windows_to_tokens(info.block.attn, calls['proj'][t][1], grid)
        torch.testing.assert_close(u_t, block_in[0] + proj_t)
        torch.testing.assert_close(calls['fc1'][t][0], info.block.norm2(u_t))
        torch.testing.assert_close(calls['fc2'][t][0],
                                   F.gelu(calls['fc1'][t][1]))
        for name in ('fc1', 'fc2'):
            lin = info.linears[name]
            x_shared = calls[name][0][0]
            x_t, y_t = calls[name][t]
            want = F.linear(x_shared, lin.weight, lin.bias) + low_rank_term(
                tuner, stage, name, task, x_t, grid)
            torch.testing.assert_close(y_t, want)
        torch.testing.assert_close(z_t, u_t + calls['fc2'][t][1])


def test_prompts_are_carried_through_the_blocks():
    """Block (0, 0) sees LN1 of the task tokens; after a block ``p <- p +
    MLP(LN2(mean over windows of the prompts' proj outputs))`` (frozen MLP
    with the shared LoRA); after a stage ``p <- task_prompts_up p``."""
    backbone = build()
    tuner = backbone.tuner
    seen = []
    capability = tuner.arch.task_prompt_attention

    def attend(msa, prompts, x, mask=None):
        o, logits = capability.attend(msa, prompts, x, mask)
        seen.append((prompts, o))
        return o, logits

    tuner.arch.task_prompt_attention = dataclasses.replace(
        capability, attend=attend)
    with torch.no_grad():
        backbone.forward_tasks(torch.randn(2, 3, 64, 64), TASKS)
    tuner.arch.task_prompt_attention = capability
    blocks = tuner.arch.blocks
    assert len(seen) == len(blocks)  # the streams reuse the attention

    def lora(info, name, x):
        lin = info.linears[name]
        return F.linear(x, lin.weight,
                        lin.bias) + tuner.shared[info.stage][info.index][name](
                            x)

    with torch.no_grad():
        tokens = torch.cat([tuner.task_prompts[t] for t in TASKS])
        p = tokens.expand(2, -1, -1)
        for info, (prompts, o), nxt in zip(blocks, seen, blocks[1:]):
            torch.testing.assert_close(prompts, info.block.norm1(p))
            out = lora(info, 'proj', o)[:, :len(TASKS)]
            attended = out.view(2, -1, len(TASKS), out.shape[-1]).mean(1)
            hidden = F.gelu(lora(info, 'fc1', info.block.norm2(attended)))
            p = p + lora(info, 'fc2', hidden)
            if nxt.stage != info.stage:
                p = tuner.task_prompts_up[info.stage](p)
        torch.testing.assert_close(seen[-1][0], blocks[-1].block.norm1(p))


def test_attention_is_full_attention_over_prompts_and_window():
    torch.manual_seed(0)
    msa = MODELS.build(mini_swin()).stages[1].blocks[1].attn.w_msa
    with torch.no_grad():
        msa.relative_position_bias_table.normal_()
    n, c, heads = 49, msa.embed_dims, msa.num_heads
    images, windows, num = 2, 3, 3
    x = torch.randn(images * windows, n, c)
    prompts = torch.randn(images, num, c)
    mask = torch.zeros(windows, n, n)
    mask[1, :20, 30:] = -100.0
    mask[2, 5:, :7] = -100.0
    o, logits = task_prompt_window_attention(msa, prompts, x, mask)
    bias = msa.relative_position_bias_table[msa.relative_position_index.view(
        -1)].view(n, n, -1).permute(2, 0, 1)
    for w in range(images * windows):  # window by window
        rows = torch.cat([prompts[w // windows], x[w]])
        qkv = msa.qkv(rows).view(num + n, 3, heads, -1).permute(1, 2, 0, 3)
        raw = qkv[0] @ qkv[1].transpose(-2, -1)  # (heads, P + N, P + N)
        torch.testing.assert_close(logits[w], raw[:, :num, num:])
        scores = raw * msa.scale
        scores[:, num:, num:] += bias + mask[w % windows]
        want = (scores.softmax(-1) @ qkv[2]).transpose(0,
                                                       1).reshape(num + n, c)
        torch.testing.assert_close(o[w], want, atol=1e-5, rtol=1e-4)
    # no prompts: the block's own attention
    o, _ = task_prompt_window_attention(msa, prompts[:, :0], x, mask)
    torch.testing.assert_close(msa.proj(o), msa(x, mask=mask))


@pytest.mark.parametrize('stage,index', [(0, 0), (0, 1), (3, 1)])
def test_windows_to_tokens_inverts_the_window_partition(stage, index):
    """Padded (16 -> 21, 2 -> 7) and shifted grids included."""
    torch.manual_seed(0)
    attn = MODELS.build(mini_swin()).stages[stage].blocks[index].attn
    windows = []
    handle = attn.w_msa.register_forward_pre_hook(
        lambda m, a: windows.append(a[0]))
    side = 16 >> stage
    query = torch.randn(2, side * side, attn.w_msa.embed_dims)
    attn(query, (side, side))
    handle.remove()
    assert torch.equal(
        windows_to_tokens(attn, windows[0], (side, side)), query)


def test_filter_norm_formula():
    torch.manual_seed(0)
    norm = FilterNorm(3, 9, gain=math.sqrt(2) / 3).requires_grad_(False)
    torch.manual_seed(0)
    assert torch.equal(norm.std, torch.randn(27) * (math.sqrt(2) / 3))
    assert torch.equal(norm.mean, torch.randn(27))
    kernels = torch.randn(2, 27)
    out = norm(kernels)
    for i in range(2):
        for ch in range(3):
            taps = [float(v) for v in kernels[i, 9 * ch:9 * ch + 9]]
            mean = sum(taps) / 9
            std = math.sqrt(sum((v - mean)**2 for v in taps) / 8)
            for j, v in enumerate(taps):
                want = (v - mean) / (std + 1e-10) * float(
                    norm.std[9 * ch + j]) + float(norm.mean[9 * ch + j])
                assert float(out[i, 9 * ch + j]) == pytest.approx(
                    want, rel=1e-5, abs=1e-5)


def test_dynamic_filter_is_a_per_sample_depthwise_conv():
    torch.manual_seed(0)
    dtf = DynamicTaskFilter(4)
    assert sum(p.numel() for p in dtf.parameters()) == 9 * 16 + 27 * 4
    x = torch.randn(3, 4, 5, 6)
    out = dtf(x)
    w = dtf.generate.weight.view(36, 4)
    for i in range(3):
        generated = w @ x[i].mean((1, 2)) + dtf.generate.bias
        kernels = dtf.norm(generated.unsqueeze(0)).view(4, 1, 3, 3)
        want = F.conv2d(x[i:i + 1], kernels, padding=1, groups=4)
        torch.testing.assert_close(out[i:i + 1], want)
    # different samples, different kernels
    k = dtf.kernels(x)
    assert not torch.allclose(k[0], k[1])


def test_trainable_rule_and_initial_values():
    backbone = build_peft_backbone(
        dict(type='TADFormer', rank=4), tasks=TASKS, per_task_out_norms=False)
    tuner = backbone.tuner
    assert all(
        ('norm' in n or 'patch_embed' in n
         or 'relative_position_bias_table' in n) and 'reduction' not in n
        for n in tuner.unfrozen)
    assert any('relative_position_bias_table' in n for n in tuner.unfrozen)
    prompts = torch.cat(list(tuner.task_prompts.values())).detach()
    assert prompts.shape == (len(TASKS), 32)
    assert prompts.min() >= -2 and prompts.max() <= 2
    assert abs(float(prompts.mean()) - 1) < 0.5  # N(1, 1) truncated
    assert all(not g.detach().any() for g in tuner.prompt_gate)
    assert all(
        torch.count_nonzero(b.up.weight) == 0 for s in tuner.shared
        for blk in s for b in blk.values())
    assert [tuple(u.weight.shape)
            for u in tuner.task_prompts_up] == [(64, 32), (128, 64),
                                                (256, 128)]


@pytest.mark.parametrize('family', ['convnext', 'swin-v2'])
def test_refused_without_task_prompt_attention(family):
    with pytest.raises(UnsupportedBackboneError) as e:
        MODELS.build(
            dict(
                type='PEFTBackbone',
                tasks=TASKS,
                tuner=dict(type='TADFormer', rank=4),
                **MINI_FAMILIES[family]))
    line = str(e.value)
    assert '\n' not in line and line.startswith('TADFormer cannot run on')
    assert 'task prompt tokens' in line


def test_bad_filter_is_named():
    with pytest.raises(ValueError, match='filter'):
        build('ddf')
