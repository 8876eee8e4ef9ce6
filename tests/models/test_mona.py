"""Mona: the layer's formula, its place in a block, its size on Swin-T."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmpoly_test_utils import MINI_FAMILIES, build_peft_backbone
from mmseg.registry import MODELS

from mmpoly.models.archs import ARCHS, UnsupportedBackboneError
from mmpoly.models.tuners.layers import MonaAdapter
from mmpoly.models.tuners.sites import transform_residual_sum
from mmpoly.registry import TUNERS
from mmpoly.models.run_mode import RunMode

TASKS = ('semseg', 'sal')


def randomise(module: torch.nn.Module, seed: int = 0) -> None:
    """Non-trivial values everywhere (γ far from its 1e-6 start)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(0.3 * torch.randn(p.shape, generator=g))


def mona_by_hand(m: MonaAdapter, x: torch.Tensor, h: int,
                 w: int) -> torch.Tensor:
    """Mona written out token by token / channel by channel."""
    n, _, c = x.shape
    mu = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False, keepdim=True)
    ln = (x - mu) / torch.sqrt(var + m.norm.eps) * m.norm.weight + \
        m.norm.bias
    mixed = ln * m.gamma + x * m.gamma_x
    p_tok = mixed @ m.down.weight.T + m.down.bias  # (N, H*W, b)
    b = p_tok.shape[-1]
    p = torch.zeros(n, b, h, w)
    for i in range(h):
        for j in range(w):
            p[:, :, i, j] = p_tok[:, i * w + j]
    convs = []
    for conv, k in zip(m.depthwise, (3, 5, 7)):
        convs.append(
            torch.cat([
                F.conv2d(
                    p[:, ch:ch + 1],
                    conv.weight[ch:ch + 1],
                    conv.bias[ch:ch + 1],
                    padding=k // 2) for ch in range(b)
            ], 1))
    q = (convs[0] + convs[1] + convs[2]) / 3 + p
    q = q + torch.einsum('oi,nihw->nohw', m.pointwise.weight[:, :, 0, 0],
                         q) + m.pointwise.bias.view(1, -1, 1, 1)
    q_tok = torch.stack([q[:, :, i, j] for i in range(h) for j in range(w)], 1)
    return x + F.gelu(q_tok) @ m.up.weight.T + m.up.bias


def test_layer_is_the_mona_formula():
    torch.manual_seed(0)
    m = MonaAdapter(6, bottleneck=4, dropout=0.1)
    assert torch.all(m.gamma == 1e-6) and torch.all(m.gamma_x == 1)
    assert torch.all(m.down.bias == 0) and torch.all(m.up.bias == 0)
    randomise(m)
    m.eval()
    x = torch.randn(2, 3 * 5, 6)  # a 3 x 5 grid: no transposed grids pass
    y = m(x, (3, 5))
    assert y.shape == x.shape
    torch.testing.assert_close(y, mona_by_hand(m, x, 3, 5))
    with pytest.raises(ValueError, match='15 tokens for a 5x5 grid'):
        m(x, (5, 5))
    m.train()  # dropout before the up projection
    assert not torch.allclose(m(x, (3, 5)), y)


@pytest.mark.parametrize('dims,count', [(96, 22_496), (192, 35_264),
                                        (384, 60_800), (768, 111_872)])
def test_layer_parameters_are_133c_plus_9728(dims, count):
    m = MonaAdapter(dims)
    assert sum(p.numel() for p in m.parameters()) == count == \
        133 * dims + 9_728


def test_swin_block_with_mona_is_the_mona_block_by_hand():
    model = build_peft_backbone(dict(type='Mona', bottleneck=8), tasks=TASKS)
    tuner = model.tuner
    randomise(tuner)
    model.eval()
    block = model.backbone.stages[1].blocks[1]  # a shifted-window block
    hw = (8, 12)
    x = torch.randn(2, 8 * 12, 64)
    with torch.no_grad():
        got = {}
        for task in TASKS:
            with tuner.task_pass(task):
                got[task] = block(x, hw)
        tuner.detach()  # the block's own sub-modules, unhooked
        plain_out = block(x, hw)
        for task in TASKS:
            mona = tuner.mona[task][1][1]
            x1 = mona['attn'](x + block.attn(block.norm1(x), hw), hw)
            want = mona['ffn'](x1 + block.ffn.layers(block.norm2(x1)), hw)
            torch.testing.assert_close(got[task], want)
    assert not torch.allclose(got['semseg'], got['sal'])
    assert not torch.allclose(got['semseg'], plain_out)


def test_convnext_block_with_mona_transforms_its_output_maps():
    model = build_peft_backbone(
        dict(type='Mona', bottleneck=8, shared=True),
        swin=copy.deepcopy(MINI_FAMILIES['convnext']['backbone']),
        tasks=TASKS)
    tuner = model.tuner
    assert tuner.run_mode is RunMode.SHARED
    assert tuner.positions == ('ffn', )
    randomise(tuner)
    model.eval()
    block = model.backbone.stages[0][1]
    x = torch.randn(2, 32, 5, 7)
    with torch.no_grad():
        with tuner.task_pass(None):
            got = block(x)
        tuner.detach()
        tokens = block(x).flatten(2).transpose(1, 2)
        want = tuner.mona['shared'][0][1]['ffn'](tokens, (5, 7))
    torch.testing.assert_close(got, want.transpose(1, 2).reshape(2, 32, 5, 7))


def test_site_transforms_post_norm_sums():
    """The site on a post-norm Swin-V2 block (which Mona refuses for want
    of its token grid): ``y = fn(x + norm1(attn(x)))``,
    ``z = fn(y + norm2(ffn(y)))``."""
    torch.manual_seed(0)
    backbone = MODELS.build(
        copy.deepcopy(MINI_FAMILIES['swin-v2']['backbone']))
    backbone.eval()
    block = backbone.stages[0].blocks[0]
    info = ARCHS.describe(backbone).stages[0][0]
    x = torch.randn(1, 16 * 16, 32)
    with torch.no_grad():
        y = 2 * (x + block.norm1(block.attn(x, (16, 16))))
        want = 2 * (y + block.norm2(block.ffn(y)))
        handles = [
            h for sub in info.sublayers.values()
            for h in transform_residual_sum(sub, lambda t: 2 * t)
        ]
        got = block(x, (16, 16))
    for h in handles:
        h.remove()
    torch.testing.assert_close(got, want)


def test_swin_t_counts_shared_and_per_task():
    model = MODELS.build(
        dict(
            type='PEFTBackbone',
            backbone=dict(
                type='mmpretrain.SwinTransformer',
                arch='tiny',
                out_indices=(0, 1, 2, 3)),
            tasks=('semseg', 'human_parts', 'sal', 'normals'),
            tuner=dict(type='Mona', shared=True)))
    shared = model.tuner
    assert sum(p.numel() for p in shared.parameters()) == 1_408_128
    # two Monas per block: 2 D_s (133 C_s + 9,728)
    assert shared.parameters_by_stage() == {
        'stage 1': 89_984,
        'stage 2': 141_056,
        'stage 3': 729_600,
        'stage 4': 447_488
    }
    per_task = TUNERS.build(dict(type='Mona'))
    per_task.attach(model.backbone, model.tasks, model.arch)
    assert per_task.run_mode is RunMode.PER_TASK
    assert sum(p.numel() for p in per_task.parameters()) == 4 * 1_408_128
    assert all(
        n.split('.')[1] in model.tasks for n, _ in per_task.named_parameters())
    per_task.detach()


@pytest.mark.parametrize('family,layout', [('swin-v2', 'SwinTransformerV2'),
                                           ('vit', 'VisionTransformer')])
def test_refused_without_a_token_grid(family, layout):
    cfg = copy.deepcopy(MINI_FAMILIES[family])
    with pytest.raises(UnsupportedBackboneError) as e:
        build_peft_backbone(
            dict(type='Mona'), swin=cfg.pop('backbone'), tasks=TASKS, **cfg)
    line = str(e.value)
    assert '\n' not in line
    assert line.startswith(f'Mona cannot run on {layout}: it needs the '
                           "(H, W) grid of its blocks' tokens"), line
