"""Every pretrained layout users hold loads into the backbone exactly.

Each file is built from a tiny random model; the loaded backbone tensors
must equal the file's (after conversion), and the official Swin's features
must equal those of an independent implementation of the official model.
"""
import numpy as np
import pytest
import torch
from pretrained_helpers import TINY, build_swin, cli, pretrained, save_layout
from swin_reference import (bicubic_resize, official_swin_features,
                            official_swin_state)

from mmpoly.engine.checkpoint_loading import load_local_checkpoint
from mmpoly.models.archs.swin import official_layout
from mmpoly.models.backbones import (PretrainedLayoutError,
                                     PretrainedMismatchError,
                                     RelativePositionResizeError,
                                     SwinLayoutError)
from mmpoly.models.backbones.pretrained_init import REPORT_ATTR

HEADS = TINY['num_heads']
DEPTHS = TINY['depths']


def _load(path, window=7, **kw):
    model = build_swin(window=window, init_cfg=pretrained(path, **kw))
    model.init_weights()
    return model


def _official_file(tmp_path, window, img, name='official.pth', **kw):
    sd = official_swin_state(TINY['embed_dims'], DEPTHS, HEADS, window, img,
                             **kw)
    path = str(tmp_path / name)
    torch.save({'model': sd}, path)
    return sd, path


@pytest.mark.parametrize(
    'layout', ['mmpretrain', 'mmpretrain_legacy', 'mmcls_v0', 'bare'])
def test_layout_loads_every_backbone_tensor(tmp_path, layout):
    src = build_swin(seed=1)
    path = str(tmp_path / f'{layout}.pth')
    save_layout(src, path, layout)
    dst = _load(path)
    own, want = dst.state_dict(), src.state_dict()
    assert own.keys() == want.keys()
    new = [f'norm{i}.{p}' for i in range(3) for p in ('weight', 'bias')]
    for key, value in want.items():
        if key in new:  # output norms a classifier has not: initialised
            assert torch.equal(
                own[key], torch.full_like(value,
                                          float(key.endswith('weight')))), key
        else:
            assert torch.equal(own[key], value), key
    report = getattr(dst, REPORT_ATTR)
    assert report.complete and not report.missing and not report.unexpected
    assert sorted(report.new_outputs) == sorted(new)
    assert report.total == len([
        k for k in want
        if not k.endswith('relative_position_index') and k not in new
    ])
    assert 'output norms norm0, norm1, norm2 are new' in report.line()
    expected = {'mmcls_v0': 'mmcls v0', 'bare': 'bare backbone'}
    assert expected.get(layout, 'mmpretrain') in report.layout
    assert report.line().startswith(
        f'loaded {report.total} of {report.total} backbone tensors from '
        f'{path} (SwinTransformer, ')


def test_official_layout_gives_the_official_features(tmp_path, monkeypatch):
    # window 4 at 128 px: every stage map (32, 16, 8, 4) holds whole
    # windows, as in the official model; shifted masks in stages 0-2
    sd, path = _official_file(tmp_path, window=4, img=128)
    x = torch.randn(2, 3, 128, 128, generator=torch.Generator().manual_seed(3))
    want = official_swin_features(sd, x, DEPTHS, HEADS, window=4)

    def features(model):
        model.eval()
        with torch.no_grad():
            return model(x)[-1]

    model = build_swin(
        window=4, init_cfg=pretrained(path), pad_small_map=False)
    model.init_weights()
    report = getattr(model, REPORT_ATTR)
    assert report.complete and 'official Swin layout' in report.layout
    assert not report.unexpected  # head, indices and masks are dropped
    torch.testing.assert_close(features(model), want, atol=1e-4, rtol=1e-4)

    # the test can fail: without the patch-merging permutation it does
    monkeypatch.setattr(official_layout, 'merge_to_unfold_order',
                        lambda t: t)
    wrong = build_swin(
        window=4, init_cfg=pretrained(path), pad_small_map=False)
    wrong.init_weights()
    assert not torch.allclose(features(wrong), want, atol=1e-2)


def test_converter_tool_writes_mmpretrain_layout(tmp_path, capsys):
    sd, path = _official_file(tmp_path, window=4, img=128)
    out = str(tmp_path / 'converted.pth')
    result = cli(capsys, 'tools/model_converters/swin2mmpretrain.py', path,
                 out)
    assert result.code == 0, result.err
    assert f'to {out}' in result.out
    ckpt = load_local_checkpoint(out)
    state = ckpt['state_dict']
    assert torch.equal(state['head.fc.weight'], sd['head.weight'])
    # plain PyTorch loading (no mmpoly conversion) of the written file
    model = build_swin(window=4, pad_small_map=False, out_indices=(3, ))
    backbone = {
        k[len('backbone.'):]: v
        for k, v in state.items() if k.startswith('backbone.')
    }
    result_keys = model.load_state_dict(backbone, strict=False)
    assert not result_keys.unexpected_keys
    assert all(
        k.endswith('relative_position_index')
        for k in result_keys.missing_keys)
    x = torch.randn(1, 3, 128, 128)
    model.eval()
    with torch.no_grad():
        got = model(x)[0]
    torch.testing.assert_close(
        got,
        official_swin_features(sd, x, DEPTHS, HEADS, 4),
        atol=1e-4,
        rtol=1e-4)

    again = cli(capsys, 'tools/model_converters/swin2mmpretrain.py', out,
                str(tmp_path / 'again.pth'))
    assert again.code == 1
    assert again.error_line.startswith('error: ')
    assert 'is not an official Swin checkpoint' in again.error_line
    assert out in again.error_line


def _tables(state):
    return {k: v for k, v in state.items() if 'relative_position_bias' in k}


def _resized(table, side):
    heads = table.shape[1]
    src = int(round(table.shape[0]**0.5))
    grid = table.t().reshape(heads, src, src).double().numpy()
    out = bicubic_resize(grid, side)
    return torch.from_numpy(out.reshape(heads, -1).T.copy()).float()


@pytest.mark.parametrize('layout', ['official', 'mmpretrain'])
def test_window12_checkpoint_into_window7(tmp_path, layout):
    if layout == 'official':
        # Swin-B 22k at 384 px: window 12, stage maps 96, 48, 24, 12
        sd, path = _official_file(tmp_path, window=12, img=384)
        file_state = {
            k: v
            for k, v in official_layout.convert_official_swin(sd).items()
            if k.startswith('backbone.')
        }
        file_state = {k[len('backbone.'):]: v for k, v in file_state.items()}
    else:
        src = build_swin(window=12, img_size=384, seed=2)
        path = str(tmp_path / 'w12.pth')
        save_layout(src, path, 'mmpretrain')
        file_state = {
            k: v
            for k, v in src.state_dict().items()
            if not k.endswith('relative_position_index') and not k.startswith(
                ('norm0', 'norm1', 'norm2'))
        }
    model = _load(path, window=7)
    report = getattr(model, REPORT_ATTR)
    assert report.complete and not report.missing
    assert len(report.resized) == sum(DEPTHS)
    assert 'resized from window 12 to 7' in report.line()
    own = model.state_dict()
    tables = _tables(file_state)
    assert len(tables) == sum(DEPTHS)
    for key, table in tables.items():
        assert table.shape[0] == 23 * 23
        assert own[key].shape == (13 * 13, table.shape[1])
        torch.testing.assert_close(
            own[key], _resized(table, 13), atol=1e-5, rtol=1e-5)
    for key, value in file_state.items():
        if key not in tables:
            assert torch.equal(own[key], value), key
    # the model runs with its own window-7 indices
    with torch.no_grad():
        model(torch.randn(1, 3, 64, 64))


def test_bicubic_reference_is_torch_bicubic():
    # the reference above is independent code; check it on a known case
    grid = np.arange(25, dtype=np.float64).reshape(1, 5, 5)
    out = bicubic_resize(grid, 3)
    want = torch.nn.functional.interpolate(
        torch.from_numpy(grid)[None],
        size=(3, 3),
        mode='bicubic',
        align_corners=False)[0].numpy()
    np.testing.assert_allclose(out, want, atol=1e-9)


def test_table_with_other_heads_is_refused(tmp_path):
    src = build_swin(window=12, seed=2)
    state = src.state_dict()
    key = 'stages.1.blocks.0.attn.w_msa.relative_position_bias_table'
    state[key] = torch.zeros(23 * 23, 3)  # 3 heads, the model has 2
    path = str(tmp_path / 'heads.pth')
    torch.save({'state_dict': {
        'backbone.' + k: v
        for k, v in state.items()
    }}, path)
    with pytest.raises(RelativePositionResizeError) as e:
        _load(path, window=7)
    msg = str(e.value)
    assert '\n' not in msg
    assert path in msg and key in msg
    assert '(529, 3)' in msg and '(169, 2)' in msg


def test_partial_file_refused_unless_allowed(tmp_path):
    src = build_swin(seed=4)
    state = {'backbone.' + k: v for k, v in src.state_dict().items()}
    dropped = [k for k in state if '.stages.3.' in k]
    for key in dropped:
        del state[key]
    path = str(tmp_path / 'partial.pth')
    torch.save({'state_dict': state}, path, _use_new_zipfile_serialization=0)
    total = len([k for k in src.state_dict() if 'position_index' not in k])
    gone = len([k for k in dropped if 'position_index' not in k])
    with pytest.raises(PretrainedMismatchError) as e:
        _load(path)
    msg = str(e.value)
    assert '\n' not in msg
    assert path in msg
    assert f'gives {total - gone} of the {total} tensors' in msg
    assert f'{gone} missing (stages.3.' in msg
    assert 'allow_partial=True' in msg

    model = _load(path, allow_partial=True)
    report = getattr(model, REPORT_ATTR)
    assert len(report.loaded) == total - gone and len(report.missing) == gone
    assert 'allow_partial=True' in report.line()
    own = model.state_dict()
    for key, value in src.state_dict().items():
        if 'backbone.' + key in state:
            assert torch.equal(own[key], value), key


def test_other_architecture_is_refused_with_shapes(tmp_path):
    src = build_swin(
        arch=dict(embed_dims=24, depths=[2, 2, 2, 2], num_heads=[1, 2, 2, 4]))
    path = str(tmp_path / 'wider.pth')
    save_layout(src, path, 'mmpretrain')
    with pytest.raises(
            PretrainedMismatchError,
            match=r'with another shape \(patch_embed'):
        _load(path)


def test_file_without_backbone_is_refused(tmp_path):
    path = str(tmp_path / 'other.pth')
    torch.save({'state_dict': {'encoder.weight': torch.zeros(2)}}, path)
    with pytest.raises(PretrainedLayoutError) as e:
        _load(path)
    assert path in str(e.value) and "'backbone.'" in str(e.value)
    assert 'encoder.weight' in str(e.value)


def test_official_swin_v2_is_named(tmp_path):
    sd = official_swin_state(16, DEPTHS, HEADS, 4, 128)
    sd['layers.0.blocks.0.attn.logit_scale'] = torch.zeros(1, 1, 1)
    path = str(tmp_path / 'v2.pth')
    torch.save({'model': sd}, path)
    with pytest.raises(SwinLayoutError, match='Swin V2'):
        _load(path, window=4)


def test_merge_permutation_matches_unfold():
    # mmpretrain's merged feature c * 4 + (2 * row + col) is the official
    # feature (row + 2 * col) * C + c: check on labelled features
    channels = 3
    official = torch.tensor([(k, c) for k in range(4)
                             for c in range(channels)])  # (4C, 2)
    codes = official[:, 0] * 10 + official[:, 1]
    got = official_layout.merge_to_unfold_order(codes.float())
    unfold = torch.nn.Unfold(kernel_size=2, stride=2)
    # a 2 x 2 map whose pixel (row, col), channel c holds the official
    # code of that neighbour and channel
    img = torch.zeros(1, channels, 2, 2)
    for row in range(2):
        for col in range(2):
            for c in range(channels):
                img[0, c, row, col] = (row + 2 * col) * 10 + c
    assert torch.equal(got, unfold(img)[0, :, 0])


def test_mmcls_v0_legacy_file_into_peft_backbone(tmp_path):
    # the configs' model-zoo layout, as PEFTBackbone (every PEFT config)
    # loads it: zero missing backbone tensors, the file's values
    from mmpoly_test_utils import build_peft_backbone
    src = build_swin(seed=6)
    path = str(tmp_path / 'swin_tiny_224_b16x64_300e_imagenet.pth')
    save_layout(src, path, 'mmcls_v0')
    swin = dict(
        type='mmpretrain.SwinTransformer',
        arch=TINY,
        out_indices=(0, 1, 2, 3),
        pad_small_map=True,
        init_cfg=pretrained(path))
    peft = build_peft_backbone(swin=swin, tasks=('semseg', ))
    report = getattr(peft.backbone, REPORT_ATTR)
    assert report.complete and not report.missing and not report.mismatched
    assert report.layout == 'mmcls v0 layout'
    own = peft.backbone.state_dict()
    for key, value in src.state_dict().items():
        if key.startswith('stages.') and 'position_index' not in key:
            assert torch.equal(own[key], value), key
    # the last norm (named "norm" in the file) became the output norm
    torch.testing.assert_close(peft.out_norms['semseg'][3].weight,
                               src.norm3.weight)
