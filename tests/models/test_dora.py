"""DoRA: the branch against its formula, per-task DoRA and DoRA in MTLoRA's
layout (start, merging, task streams, counts)."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpoly_test_utils import TASKS, build_peft_backbone, mini_swin
from mmseg.registry import MODELS

from mmpoly.models.tuners.base import SharedLinear
from mmpoly.models.tuners.layers import DoRABranch
from mmpoly.registry import TUNERS


def branch_and_linear(bias=True, dropout=0.0, seed=0):
    """A DoRA branch with a non-zero ``B`` on a random Linear 6 -> 5."""
    torch.manual_seed(seed)
    linear = nn.Linear(6, 5, bias=bias).requires_grad_(False)
    branch = DoRABranch(linear, rank=3, scale=2.0, dropout=dropout)
    branch.reset_parameters('kaiming')
    nn.init.normal_(branch.up.weight)
    with torch.no_grad():
        branch.magnitude.mul_(1.5)
    return branch, linear


def expected(branch, linear, x, base_input=None, mask=None):
    """``(m/n − 1)·W·x'_s + (m/n)·s·B A·x'`` written out (n constant)."""
    w, a, b = linear.weight, branch.down.weight, branch.up.weight
    n = torch.linalg.norm(w + branch.scale * b @ a, dim=1).detach()
    ratio = branch.magnitude / n
    base_input = x if base_input is None else base_input
    if mask is not None:
        x, base_input = x * mask, base_input * mask
    return ((ratio - 1) * (base_input @ w.T) + ratio * branch.scale *
            (x @ a.T @ b.T))


@pytest.mark.parametrize('bias', [True, False])
def test_branch_is_the_dora_formula_and_its_merged_weight(bias):
    branch, linear = branch_and_linear(bias)
    x = torch.randn(2, 4, 6)
    frozen = linear(x)
    term = branch(x, frozen, linear)
    torch.testing.assert_close(term, expected(branch, linear, x))
    # the adapted Linear is diag(m/n)·(W + s·B A)·x + b, bias not rescaled
    w = linear.weight + branch.scale * branch.up.weight @ branch.down.weight
    merged = branch.magnitude[:, None] * w / w.norm(dim=1, keepdim=True)
    torch.testing.assert_close(branch.merged_weight(linear), merged)
    torch.testing.assert_close(frozen + term, F.linear(x, merged, linear.bias))


def test_branch_dropout_draws_one_mask_and_is_off_in_eval():
    branch, linear = branch_and_linear(dropout=0.5)
    x, x_shared = torch.randn(2, 4, 6), torch.randn(2, 4, 6)
    frozen = linear(x_shared)
    branch.train()
    torch.manual_seed(7)
    term = branch(x, frozen, linear, base_input=x_shared)
    torch.manual_seed(7)
    mask = F.dropout(torch.ones_like(x), 0.5, training=True)
    assert 0 < int((mask == 0).sum()) < mask.numel()
    torch.testing.assert_close(
        term, expected(branch, linear, x, x_shared, mask=mask))
    # plain DoRA: the same mask on x for both parts
    torch.manual_seed(7)
    torch.testing.assert_close(
        branch(x, linear(x), linear), expected(branch, linear, x, mask=mask))
    branch.eval()
    torch.testing.assert_close(
        branch(x, frozen, linear, base_input=x_shared),
        expected(branch, linear, x, x_shared))


def test_no_gradient_flows_through_the_norm():
    branch, linear = branch_and_linear()
    x = torch.randn(3, 6)
    weights = torch.randn(3, 5)
    (branch(x, linear(x), linear) * weights).sum().backward()
    # the same term with n a constant, on leaf copies of m, A and B
    m, a, b = (
        p.detach().clone().requires_grad_()
        for p in (branch.magnitude, branch.down.weight, branch.up.weight))
    n = torch.linalg.norm(linear.weight + 2.0 * b.detach() @ a.detach(), dim=1)
    ratio = m / n
    ref = (ratio - 1) * (x @ linear.weight.T) + ratio * 2.0 * (x @ a.T @ b.T)
    (ref * weights).sum().backward()
    for got, want in ((branch.magnitude, m), (branch.down.weight, a),
                      (branch.up.weight, b)):
        torch.testing.assert_close(got.grad, want.grad)
    assert linear.weight.grad is None


def test_magnitude_starts_at_the_row_norms_and_model_at_the_backbone():
    model = build_peft_backbone(dict(type='DoRATuner', rank=4))
    tuner = model.tuner
    sites = [(info, lin) for info in tuner.arch.blocks
             for n, lin in info.linears.items() if n == 'qkv']
    for task in TASKS:
        for info, lin in sites:
            branch = tuner.dora[task][info.stage][info.index]['qkv']
            assert branch.magnitude.shape == (lin.out_features, )
            assert torch.equal(branch.magnitude,
                               torch.linalg.norm(lin.weight, dim=1))
            assert torch.count_nonzero(branch.up.weight) == 0
            assert torch.count_nonzero(branch.down.weight) > 0
    plain = build_peft_backbone(None)
    model.eval(), plain.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        got, want = model.forward_tasks(x,
                                        TASKS), plain.forward_tasks(x, TASKS)
    for t in TASKS:
        for a, b in zip(got[t], want[t]):
            assert torch.equal(a, b)


def perturbed(tuner_cfg, **kw):
    model = build_peft_backbone(tuner_cfg, **kw)
    with torch.no_grad():
        for p in model.tuner.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model.eval()


def assert_merge_keeps_outputs(model):
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        unmerged = model.forward_tasks(x, TASKS)
        model.tuner.merge()
        merged = model.forward_tasks(x, TASKS)
        model.tuner.unmerge()
        again = model.forward_tasks(x, TASKS)
    for t in TASKS:
        for a, b, c in zip(unmerged[t], merged[t], again[t]):
            torch.testing.assert_close(b, a, rtol=0, atol=1e-5)
            assert torch.equal(c, a)
    return unmerged


@pytest.mark.parametrize('shared', [False, True])
def test_dora_merged_equals_unmerged(shared):
    model = perturbed(dict(type='DoRATuner', rank=4, shared=shared))
    assert model.tuner.parameter_overrides(TASKS[0]) == {}
    model.tuner.merge()
    overrides = model.tuner.parameter_overrides(TASKS[0])
    model.tuner.unmerge()
    assert len(overrides) == 8 and all(
        k.endswith('attn.w_msa.qkv.weight') for k in overrides)
    feats = assert_merge_keeps_outputs(model)
    # one DoRA per task, or one for all
    same = torch.equal(feats['semseg'][-1], feats['sal'][-1])
    assert same == shared


@pytest.fixture(scope='module')
def dora_mtlora_plus():
    """DoRA-MTLoRA+ on a mini Swin whose outputs follow the patch merging
    (the task streams' features pass through the merging's DoRA), with
    every tuner tensor moved off its initial value."""
    return perturbed(
        dict(
            type='DoRAMTLoRA',
            shared_rank=4,
            task_rank=2,
            merge_rank=2,
            unfreeze=('norm', )),
        swin=dict(mini_swin(), out_after_downsample=True))


def test_dora_mtlora_merges_all_but_the_stream_linears(dora_mtlora_plus):
    tuner = dora_mtlora_plus.tuner
    tuner.merge()
    merged = set(tuner.parameter_overrides(None))
    tuner.unmerge()
    # mini Swin: 2 blocks per stage; every Linear of the first blocks, only
    # qkv of the last ones (proj, fc1 and fc2 there feed the task streams);
    # the patch mergings' branches stay unmerged
    assert len(tuner.merge_lora) == 3
    assert len(merged) == 4 * 4 + 4
    for s in range(4):
        assert f'stages.{s}.blocks.1.attn.w_msa.qkv.weight' in merged
        assert f'stages.{s}.blocks.1.ffn.layers.0.0.weight' not in merged
        assert f'stages.{s}.blocks.0.ffn.layers.1.weight' in merged
    assert not any('downsample' in k for k in merged)
    assert_merge_keeps_outputs(dora_mtlora_plus)


def test_dora_mtlora_stream_linear_is_the_reconstructed_rule(dora_mtlora_plus):
    tuner = dora_mtlora_plus.tuner
    info = tuner.arch.stages[1][-1]
    linear = info.linears['fc1']
    x_s, x_t = torch.randn(2, 5, 64), torch.randn(2, 5, 64)
    frozen = F.linear(x_s, linear.weight, linear.bias)  # W x_s + b
    shared = SharedLinear(x_s, frozen, frozen + 1.0)
    with torch.no_grad():
        got = tuner.stream_linear('sal', info, 'fc1', linear, x_t, shared)
    branch = tuner.task['sal'][1]['fc1']
    assert branch.down.weight.shape == (2, 64)
    want = frozen + expected(branch, linear, x_t, base_input=x_s)
    torch.testing.assert_close(got, want)
    # a Linear without task branch (qkv) gives the shared pass's output
    qkv = info.linears['qkv']
    assert tuner.stream_linear('sal', info, 'qkv', qkv, x_t,
                               shared) is shared.output


def test_dora_mtlora_refuses_the_rerun_streams():
    with pytest.raises(ValueError, match="stream_mode must be 'matrix'"):
        TUNERS.build(dict(type='DoRAMTLoRA', stream_mode='rerun'))


MTLORA_SWIN_T = dict(
    type='mmpretrain.SwinTransformer',
    arch='tiny',
    out_indices=(0, 1, 2, 3),
    out_after_downsample=True,
    norm_cfg=None)
PASCAL = ('semseg', 'human_parts', 'sal', 'normals')
#: MTLoRA's per-task downsamplers and HighResolutionHeads on PASCAL.
MTLORA_DECODERS = 1_946_624


def trainable(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@pytest.mark.parametrize('rank,total', [(16, 5_027_450), (32, 6_157_946),
                                        (64, 8_418_938)])
def test_dora_mtlora_count_on_swin_t(rank, total):
    model = MODELS.build(
        dict(
            type='PEFTBackbone',
            tasks=PASCAL,
            per_task_out_norms=False,
            backbone=MTLORA_SWIN_T,
            tuner=dict(type='DoRAMTLoRA', shared_rank=rank)))
    assert trainable(model) + MTLORA_DECODERS == total
    magnitudes = sum(p.numel() for n, p in model.tuner.named_parameters()
                     if n.endswith('magnitude'))
    assert magnitudes == 39_744 + 34_560


def test_dora_count_on_swin_t():
    model = MODELS.build(
        dict(
            type='PEFTBackbone',
            tasks=PASCAL,
            backbone=dict(
                type='mmpretrain.SwinTransformer',
                arch='tiny',
                out_indices=(0, 1, 2, 3)),
            tuner=dict(type='DoRATuner', rank=4)))
    assert trainable(model.tuner) == 335_616
