"""Backbone family descriptions, and the sites written against them."""
import copy

import pytest
import torch
import torch.nn as nn
from mmpoly_test_utils import MINI_FAMILIES
from mmseg.registry import MODELS

from mmpoly.models.archs import (ARCHS, ArchRegistry, UnsupportedBackboneError,
                                 describe_backbone)
from mmpoly.models.archs.vit import prompted_token_attention
from mmpoly.models.necks import SimpleFeaturePyramid
from mmpoly.models.tuners.sites import (add_parallel_branch, add_serial_branch,
                                        tokens_as_feature_map)

#: (stage widths, stage depths, positions, Linear roles) of the tiny models
SHAPES = {
    'swin': ([32, 64, 128,
              256], [2, 2, 2,
                     2], ('attn', 'ffn'), ('qkv', 'proj', 'fc1', 'fc2')),
    'swin-v2': ([32, 64, 128,
                 256], [2, 2, 2, 2], ('attn', 'ffn'), ('proj', 'fc1', 'fc2')),
    'convnext': ([32, 64, 128, 256], [2, 2, 2, 2], ('ffn', ), ('fc1', 'fc2')),
    'convnext-v2': ([32, 64, 128, 256], [2, 2, 2,
                                         2], ('ffn', ), ('fc1', 'fc2')),
    'vit': ([32] * 4, [1, 1, 1,
                       1], ('attn', 'ffn'), ('qkv', 'proj', 'fc1', 'fc2')),
}


def backbone(family):
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(MINI_FAMILIES[family]['backbone']))
    model.eval()  # (ConvNeXt's train() returns None)
    return model


@pytest.mark.parametrize('family', list(SHAPES))
def test_description_reads_the_family(family):
    arch = describe_backbone(backbone(family))
    widths, depths, positions, linears = SHAPES[family]
    assert (arch.widths, arch.depths) == (widths, depths)
    assert arch.positions == positions and arch.linear_names == linears
    assert arch.out_widths == tuple(widths)
    stage_of = arch.stage_of_parameters()
    for info in arch.blocks:
        assert all(stage_of[id(p)] == info.stage
                   for p in info.block.parameters())


def post_norm_block():
    arch = describe_backbone(backbone('swin-v2'))
    return arch.blocks[0]


def test_post_norm_parallel_term_is_added_after_the_norm():
    """Swin-V2: ``y = x + norm1(attn(x)) + branch(x)``, never inside."""
    info = post_norm_block()
    block, sub = info.block, info.sublayers['attn']
    x = torch.randn(2, 16 * 16, info.dims)
    hw = (16, 16)
    with torch.no_grad():
        want = x + block.norm1(block.attn(x, hw)) + 0.5 * x
        handles = add_parallel_branch(sub, lambda t: 0.5 * t)
        y = x + block.norm1(block.attn(x, hw))  # the block's own attn step
        for h in handles:
            h.remove()
    torch.testing.assert_close(y, want)


def test_channels_first_branch_sees_channels_last_tokens():
    """ConvNeXt: the whole residual is one module on (N, C, H, W) maps."""
    info = describe_backbone(backbone('convnext')).blocks[0]
    x = torch.randn(1, info.dims, 8, 8)
    seen = []

    def branch(t):
        seen.append(t.shape)
        return torch.zeros_like(t) + 1.0

    with torch.no_grad():
        plain = info.block(x)
        handles = add_parallel_branch(info.sublayers['ffn'], branch)
        out = info.block(x)
        for h in handles:
            h.remove()
    assert seen == [torch.Size([1, 8, 8, info.dims])]
    torch.testing.assert_close(out, plain + 1.0)


def test_serial_branch_wraps_the_branch_value():
    info = describe_backbone(backbone('vit')).blocks[0]
    x = torch.randn(1, 17, info.dims)
    with torch.no_grad():
        plain = info.block(x)
        handles = add_serial_branch(info.sublayers['ffn'], torch.zeros_like)
        same = info.block(x)
        for h in handles:
            h.remove()
    torch.testing.assert_close(same, plain)


def test_vit_prompted_attention_with_no_prompts_is_the_attention():
    attn = describe_backbone(backbone('vit')).blocks[0].attention
    x = torch.randn(2, 9, 32)
    with torch.no_grad():
        plain = attn(x)
        empty = prompted_token_attention(attn, torch.zeros(0, 32), x)
        prompted = prompted_token_attention(attn, torch.randn(3, 32), x)
    torch.testing.assert_close(empty, plain)
    assert prompted.shape == plain.shape and not torch.allclose(
        prompted, plain)


@pytest.mark.parametrize('family', ['swin', 'vit'])
def test_attention_from_projection_input_is_the_attention(family):
    """The attention sub-layer's output recomputed from the input of its
    ``proj`` (what task streams sharing the attention use) equals the
    sub-layer's own (Swin: a shifted block, windows merged back)."""
    arch = describe_backbone(backbone(family))
    info = arch.blocks[1]
    module = info.sublayers['attn'].module
    args = (torch.randn(2, 64, 32), (8, 8)) if family == 'swin' else \
        (torch.randn(2, 9, 32), )
    seen = []
    handle = info.linears['proj'].register_forward_hook(
        lambda m, a, o: seen.append(a[0]))
    with torch.no_grad():
        plain = module(*args)
        again = arch.attention_from_projection(module, seen[0], *args)
    handle.remove()
    torch.testing.assert_close(again, plain)


def test_swin_stream_merge_is_the_patch_merging():
    """The merge task streams' outputs go through (mmpretrain's
    out_after_downsample) equals the stage's PatchMerging: one permutation
    in place of its Unfold on even grids, the module itself on odd ones."""
    swin = MODELS.build(
        dict(MINI_FAMILIES['swin']['backbone'], out_after_downsample=True))
    arch = describe_backbone(swin)
    merge, merging = arch.out_norms[0].merge, swin.stages[0].downsample
    for hw in ((8, 6), (7, 5)):
        y = torch.randn(2, hw[0] * hw[1], 32)
        with torch.no_grad():
            torch.testing.assert_close(
                merge(y, (None, hw)), merging(y, hw)[0], rtol=0, atol=0)


def test_tokens_as_feature_map_drops_extra_tokens():
    like = torch.zeros(2, 4, 3, 5)
    tokens = torch.arange(2 * 16 * 4.).view(2, 16, 4)  # a class token + 15
    out = tokens_as_feature_map(tokens, like)
    assert out.shape == like.shape
    torch.testing.assert_close(out[0, :, 0, 0], tokens[0, 1])
    maps = torch.randn(2, 4, 3, 5)
    assert tokens_as_feature_map(maps, like) is maps


def test_feature_pyramid_strides_and_checks():
    feats = [torch.randn(1, 8, 6, 6) for _ in range(4)]
    out = SimpleFeaturePyramid()(feats)
    assert [tuple(o.shape[2:]) for o in out] == [(24, 24), (12, 12), (6, 6),
                                                 (3, 3)]
    assert list(SimpleFeaturePyramid().parameters()) == []
    with pytest.raises(ValueError, match='powers of two'):
        SimpleFeaturePyramid(scales=(3.0, 1.0))
    with pytest.raises(ValueError, match='has 4 scales but got 2'):
        SimpleFeaturePyramid()(feats[:2])


def test_registry_finds_subclasses_and_refuses_unknown_backbones():
    registry = ArchRegistry()
    calls = []

    class Base(nn.Module):
        pass

    class Child(Base):
        pass

    @registry.register(Base)
    def describe(model):
        calls.append(type(model).__name__)

    registry.describe(Child())
    assert calls == ['Child']
    with pytest.raises(KeyError, match='already has'):
        registry.register(Base)(describe)
    with pytest.raises(
            UnsupportedBackboneError,
            match='no architecture description of Linear'):
        ARCHS.describe(nn.Linear(2, 2))


@pytest.mark.parametrize('cfg,match', [
    (dict(type='mmpretrain.ConvNeXt', arch='atto',
          out_indices=(0, 1, 2, 3)), 'gap_before_final_norm=False'),
    (dict(
        type='mmpretrain.VisionTransformer',
        arch=dict(
            embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64),
        img_size=32,
        patch_size=8,
        out_indices=(1, 2)), "out_type='featmap'"),
    (dict(
        type='mmpretrain.VisionTransformer',
        arch=dict(
            embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64),
        img_size=32,
        patch_size=8,
        out_type='featmap',
        out_indices=(1, 2)), r'end at the last layer \(3\)'),
])
def test_unusable_settings_are_refused_in_one_line(cfg, match):
    with pytest.raises(UnsupportedBackboneError, match=match) as e:
        describe_backbone(MODELS.build(cfg))
    assert '\n' not in str(e.value)
