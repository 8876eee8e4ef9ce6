"""Pretrained files through the real tools: each loading path says how many
backbone tensors it loaded; a file that gives fewer is refused in one line.

The toy Polyhistor config (a frozen window-7 mini Swin, adapter-only
checkpoints) is pointed at files built from random models with
``--cfg-options model.backbone.backbone.init_cfg...``.
"""
import os.path as osp
import re

import torch
from pretrained_helpers import (MINI, TOY_POLY, assert_one_line_error,
                                build_swin, cli, save_layout, short_run)
from swin_reference import official_swin_state

from mmpoly.apis import MultiTaskInferencer
from mmpoly.utils.config_loading import load_config

TRAIN, TEST = 'tools/train.py', 'tools/test.py'
INIT = 'model.backbone.backbone.init_cfg'


def init_options(path: str, **extra) -> dict:
    """Options that point the toy Swin's (empty) init_cfg at ``path``."""
    opts = {
        f'{INIT}._delete_': True,
        f'{INIT}.type': 'Pretrained',
        f'{INIT}.checkpoint': path,
        f'{INIT}.prefix': 'backbone.',
    }
    opts.update({f'{INIT}.{k}': v for k, v in extra.items()})
    return opts


def _backbone_total() -> int:
    """The toy Swin's tensors a classifier's file gives: all but the
    computed indices and the new output norms of stages 0-2."""
    names = build_swin(arch=MINI).state_dict()
    return len([
        k for k in names if not k.endswith('position_index')
        and not k.startswith(('norm0', 'norm1', 'norm2'))
    ])


def test_every_loading_path_counts_backbone_tensors(capsys, data_root,
                                                    tmp_path):
    # Swin-B-22k-like: official layout, window 12, into the window-7 toy
    sd = official_swin_state(MINI['embed_dims'], MINI['depths'],
                             MINI['num_heads'], 12, 384)
    pre = str(tmp_path / 'swin_official_w12.pth')
    torch.save({'model': sd}, pre)
    total = _backbone_total()
    work = str(tmp_path / 'work')
    # one iteration and a checkpoint, no validation (loading is tested)
    opts = {
        **init_options(pre), 'train_cfg.max_iters': 1,
        'train_cfg.val_begin': 10,
        'default_hooks.checkpoint.interval': 1
    }

    train = cli(capsys, TRAIN, TOY_POLY, '--work-dir', work,
                *short_run(data_root, **opts))
    assert train.code == 0, train.err[-3000:]
    assert (
        f'loaded {total} of {total} backbone tensors from {pre} '
        '(SwinTransformer, official Swin layout, converted; 8 '
        'relative-position tables resized from window 12 to 7; output '
        'norms norm0, norm1, norm2 are new, not from the file)') in train.out

    ckpt = osp.join(work, 'iter_1.pth')
    # adapter-only: the frozen tensors are the pretrained ones, all but the
    # last norm, which became the per-task output norms (trained)
    adapter_only = re.compile(
        rf'loaded (\d+) of (\d+) backbone tensors from {re.escape(ckpt)} '
        rf'\(adapter-only checkpoint\); the other {total - 2} are frozen and '
        rf'come from the pretrained {re.escape(pre)} \(fingerprint '
        r'checked\)')

    def assert_adapter_only(text):
        found = adapter_only.search(text)
        assert found, text[-3000:]
        loaded, everything = map(int, found.groups())
        assert loaded + total - 2 == everything

    test = cli(capsys, TEST, TOY_POLY, ckpt, *short_run(data_root, **opts))
    assert test.code == 0, test.err[-3000:]
    assert_adapter_only(test.out)

    resume = cli(capsys, TRAIN, TOY_POLY, '--work-dir', work, '--resume', ckpt,
                 *short_run(data_root, **{
                     **opts, 'train_cfg.max_iters': 2
                 }))
    assert resume.code == 0, resume.err[-3000:]
    assert_adapter_only(resume.out)

    cfg = load_config(TOY_POLY)
    cfg.merge_from_dict(init_options(pre))
    inferencer = MultiTaskInferencer(cfg, ckpt, device='cpu')
    assert_adapter_only(inferencer._load_line)


def test_partial_pretrained_file_is_refused(capsys, data_root, tmp_path):
    src = build_swin(arch=MINI)
    pre = str(tmp_path / 'partial.pth')
    save_layout(src, pre, 'mmpretrain')
    ckpt = torch.load(pre)
    gone = [k for k in ckpt['state_dict'] if '.stages.3.blocks.1.' in k]
    for key in gone:
        del ckpt['state_dict'][key]
    torch.save(ckpt, pre)
    total = _backbone_total()
    missing = len([k for k in gone if 'position_index' not in k])
    r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', str(tmp_path / 'w'),
            *short_run(data_root, **init_options(pre)))
    assert_one_line_error(r, pre, f'gives {total - missing} of the {total}',
                          'stages.3.blocks.1.', 'allow_partial=True')


def test_truncated_pretrained_files(capsys, data_root, tmp_path):
    src = build_swin(arch=MINI)
    for layout in ('mmpretrain', 'mmpretrain_legacy'):
        pre = str(tmp_path / f'{layout}.pth')
        save_layout(src, pre, layout)
        with open(pre, 'r+b') as f:
            f.truncate(osp.getsize(pre) // 2)
        r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', str(tmp_path / 'w'),
                *short_run(data_root, **init_options(pre)))
        assert_one_line_error(
            r, pre, 'is not a complete PyTorch checkpoint (truncated?)')


def test_pretrained_file_as_model_checkpoint_is_refused(
        capsys, data_root, tmp_path):
    # load_from / tools/test.py expect a checkpoint of the whole model
    official = str(tmp_path / 'swin_official.pth')
    torch.save(
        {'model': official_swin_state(32, [2] * 4, [1, 2, 4, 8], 7, 224)},
        official)
    r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', str(tmp_path / 'w'),
            *short_run(data_root, load_from=official))
    assert_one_line_error(r, official, '(official Swin layout)',
                          f'--cfg-options {INIT}.checkpoint={official}',
                          'swin2mmpretrain.py')

    v0 = str(tmp_path / 'swin_mmcls_v0.pth')
    save_layout(build_swin(arch=MINI), v0, 'mmcls_v0')
    r = cli(capsys, TEST, TOY_POLY, v0, *short_run(data_root))
    assert_one_line_error(r, v0, '(classifier (mmpretrain / mmcls) layout)',
                          f'{INIT}.checkpoint={v0}')
