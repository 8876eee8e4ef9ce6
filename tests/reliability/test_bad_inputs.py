"""Every bad input of the reliability review, through the real tools.

Each test breaks one thing on the toy setup and asserts the exit status and
the one line the tool prints (no traceback), or, for the cases that used to
be accepted silently, that they are refused or reported.
"""
import glob
import json
import os
import os.path as osp
import shutil

import mmcv
import numpy as np
import pytest
import torch
from conftest import (TOY_MTFT, TOY_POLY, assert_one_line_error, cli,
                      first_val_id, semseg_png, short_run)
from mmpoly_test_utils import toy_options
from scipy.io import savemat

TEST, TRAIN = 'tools/test.py', 'tools/train.py'


def _test(capsys, root, checkpoint, *extra, config=TOY_POLY):
    """tools/test.py; ``extra`` holds flags and ``key=value`` options (the
    latter go after --cfg-options)."""
    flags = [e for e in extra if '=' not in e or e.startswith('-')]
    options = [e for e in extra if e not in flags]
    return cli(capsys, TEST, config, checkpoint, *flags, *toy_options(root),
               *options)


# ------------------------------------------------------------ bad data
def test_corrupt_jpeg(capsys, own_data, trained):
    path = osp.join(own_data, 'JPEGImages', first_val_id(own_data) + '.jpg')
    with open(path, 'r+b') as f:
        f.truncate(100)
    r = _test(capsys, own_data, trained['poly'])
    assert_one_line_error(r, path)


def test_class_id_out_of_range(capsys, own_data, trained):
    path = semseg_png(own_data, first_val_id(own_data))
    label = mmcv.imread(path, 'unchanged')
    label[0, 0] = 40
    mmcv.imwrite(label, path)
    r = _test(capsys, own_data, trained['poly'])
    assert_one_line_error(r, path, '40')


def test_empty_split_file(capsys, own_data, trained):
    split = osp.join(own_data, 'ImageSets/Context/val.txt')
    open(split, 'w').close()
    r = _test(capsys, own_data, trained['poly'])
    assert_one_line_error(r, split, 'lists no image')


@pytest.mark.parametrize(
    'channels,needle', [(1, 'single-channel'), (3, 'not unit vectors')],
    ids=['grey', 'grey-saved-as-rgb'])
def test_grey_normals(capsys, own_data, trained, channels, needle):
    path = osp.join(own_data, 'normals_distill',
                    first_val_id(own_data) + '.png')
    grey = mmcv.imread(path, 'grayscale')
    mmcv.imwrite(np.repeat(grey[..., None], channels, axis=2), path)
    r = _test(capsys, own_data, trained['poly'])
    assert_one_line_error(r, path, needle)


def test_colour_saliency(capsys, own_data, trained):
    path = osp.join(own_data, 'sal_distill', first_val_id(own_data) + '.png')
    sal = mmcv.imread(path, 'grayscale')
    rgb = np.stack([sal, 255 - sal, sal], axis=2)
    mmcv.imwrite(rgb, path)
    r = _test(capsys, own_data, trained['poly'])
    assert_one_line_error(r, path)


def test_malformed_human_parts_mat(capsys, own_data, trained):
    path = osp.join(own_data, 'human_parts', first_val_id(own_data) + '.mat')
    savemat(path, {'anno': 'not a PASCAL-Part struct'})
    r = _test(capsys, own_data, trained['poly'])
    assert_one_line_error(r, path)


def test_missing_val_file_fails_before_training(capsys, own_data):
    path = osp.join(own_data, 'normals_distill',
                    first_val_id(own_data) + '.png')
    os.remove(path)
    r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', osp.join(own_data, 'work'),
            *short_run(own_data))
    assert_one_line_error(r, path)
    assert 'Iter(train)' not in r.out  # not one iteration was spent


def test_check_dataset_lists_every_bad_file(capsys, own_data):
    ids = open(osp.join(own_data, 'ImageSets/Context/val.txt')).read().split()
    bad = [semseg_png(own_data, i) for i in ids[1:]]  # not the first
    for path in bad:
        label = mmcv.imread(path, 'unchanged')
        label[0, 0] = 99
        mmcv.imwrite(label, path)
    opts = toy_options(own_data)
    r = cli(capsys, 'tools/misc/check_dataset.py', TOY_POLY, *opts)
    assert r.code == 0, r.out  # the quick check decodes only the first
    r = cli(capsys, 'tools/misc/check_dataset.py', TOY_POLY, '--full', *opts)
    assert r.code == 1
    for path in bad:
        assert path in r.out
    assert 'val_dataloader: 3 images' in r.out and '2 bad' in r.out
    assert 'train_dataloader: 4 images' in r.out
    assert r.error_line == ('error: 2 bad file(s) in the data of ' + TOY_POLY)


def test_missing_data_root(capsys, tmp_path, trained):
    root = str(tmp_path / 'nowhere')
    r = _test(capsys, root, trained['poly'])
    assert_one_line_error(r, root, 'does not exist')


# ----------------------------------------------------------- bad config
def test_misspelled_tuner_type(capsys, data_root, trained):
    r = _test(capsys, data_root, trained['poly'], 'model.backbone.tuner.type'
              '=Polyhistr')
    assert_one_line_error(r, "unknown tuner type 'Polyhistr'",
                          "did you mean 'Polyhistor'")


def test_misspelled_dataset_type(capsys, data_root, trained):
    r = _test(capsys, data_root, trained['poly'],
              'test_dataloader.dataset.type=PascalContextMTDatset')
    assert_one_line_error(r, "'PascalContextMTDatset'",
                          "did you mean 'PascalContextMTDataset'")


def test_unknown_nested_key(capsys, data_root, trained):
    r = _test(capsys, data_root, trained['poly'],
              'model.backbone.backbone.drop_path=0.2')
    assert_one_line_error(
        r, "config key 'drop_path' is not an argument of "
        'SwinTransformer', "'drop_path_rate'")


def test_unknown_top_level_key(capsys, data_root, trained):
    r = _test(capsys, data_root, trained['poly'],
              'optim_wraper.optimizer.lr=0.1')
    assert_one_line_error(r, "no top-level key 'optim_wraper'",
                          "did you mean 'optim_wrapper'")


@pytest.mark.parametrize('value,needle', [(0, 'reduction'), (3, 'reduction')])
def test_bad_reduction(capsys, data_root, trained, value, needle):
    r = _test(capsys, data_root, trained['poly'],
              f'model.backbone.tuner.reduction={value}')
    assert_one_line_error(r, needle, str(value))


def test_negative_loss_weight(capsys, data_root, trained):
    r = _test(capsys, data_root, trained['poly'],
              'tasks.semseg.loss_weight=-1')
    assert_one_line_error(r, 'tasks.semseg.loss_weight')


def test_heads_for_some_tasks_only(capsys, data_root, trained):
    r = _test(capsys, data_root, trained['poly'], 'model.decode_head=None',
              'model.decode_heads.semseg.type=AllMLPHead')
    assert_one_line_error(r, 'human_parts')


def test_unknown_config_file(capsys, trained):
    r = cli(capsys, TEST, 'configs/toy/polyhistr_swin-mini_toy-pascal.py',
            trained['poly'])
    assert_one_line_error(r, 'polyhistr_swin-mini_toy-pascal')


# ---------------------------------------------------- wrong checkpoints
def test_truncated_checkpoint(capsys, data_root, trained, tmp_path):
    path = str(tmp_path / 'cut.pth')
    data = open(trained['poly'], 'rb').read()
    open(path, 'wb').write(data[:len(data) // 2])
    r = _test(capsys, data_root, path)
    assert_one_line_error(
        r, f'{path} is not a complete PyTorch checkpoint (truncated?)')


def test_not_a_checkpoint(capsys, data_root, tmp_path):
    path = str(tmp_path / 'notes.pth')
    open(path, 'w').write('hello')
    r = _test(capsys, data_root, path)
    assert_one_line_error(r, f'{path} is not a complete PyTorch checkpoint')


class _RunsCode:

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_malicious_pickle_refused_never_run(capsys, data_root, tmp_path):
    marker = tmp_path / 'pwned'
    _RunsCode.marker = str(marker)
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict={}, payload=_RunsCode()), path)
    r = _test(capsys, data_root, path)
    line = assert_one_line_error(r, path, 'does not allow')
    assert 'system' in line
    assert not marker.exists()


def test_mtft_checkpoint_with_polyhistor_config(capsys, data_root, trained):
    r = _test(capsys, data_root, trained['mtft'])
    assert_one_line_error(r, trained['mtft'], 'trainable tensors are '
                          'missing', 'backbone.out_norms.',
                          'not in the model (backbone.patch_embed.',
                          'experiment mtft_swin-mini_toy-pascal', 'no tuner',
                          '--no-strict')
    assert 'metrics written' not in r.out


def test_polyhistor_checkpoint_with_mtft_config(capsys, data_root, trained):
    r = _test(capsys, data_root, trained['poly'], config=TOY_MTFT)
    assert_one_line_error(r, 'trainable tensors are missing',
                          'backbone.patch_embed.', 'not in the model '
                          '(backbone.out_norms.', 'tuner Polyhistor')


def test_other_rank_checkpoint(capsys, data_root, trained):
    r = _test(capsys, data_root, trained['poly_rank8'])
    assert_one_line_error(r, 'another shape', 'tuner Polyhistor')


def test_checkpoint_without_model_keys(capsys, data_root, tmp_path):
    path = str(tmp_path / 'weights.pth')
    torch.save({'weights': torch.ones(3)}, path)
    r = _test(capsys, data_root, path)
    assert_one_line_error(r, 'trainable tensors are missing',
                          '1 tensors are not in the model (weights)')


def test_no_strict_loads_anyway(capsys, data_root, trained, tmp_path):
    out = str(tmp_path / 'out')
    r = _test(capsys, data_root, trained['mtft'], '--no-strict', '--out', out)
    assert r.code == 0, r.err[-2000:]
    assert 'Loaded anyway (not strict)' in r.out + r.err


def test_load_from_wrong_checkpoint(capsys, data_root, trained, tmp_path):
    r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', str(tmp_path),
            *short_run(data_root, load_from=trained['mtft']))
    assert_one_line_error(r, trained['mtft'], 'trainable tensors are missing',
                          'experiment mtft_swin-mini_toy-pascal')
    assert not glob.glob(osp.join(str(tmp_path), 'iter_*.pth'))


def test_inferencer_refuses_wrong_checkpoint(trained):
    from mmpoly.apis import MultiTaskInferencer
    from mmpoly.engine import CheckpointMismatchError
    with pytest.raises(CheckpointMismatchError, match='no tuner'):
        MultiTaskInferencer(TOY_POLY, trained['mtft'], device='cpu')


# --------------------------------------------------------------- resume
def test_resume_with_nothing_to_resume(capsys, data_root, tmp_path):
    work = str(tmp_path / 'empty_work')
    r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', work, '--resume',
            *short_run(data_root))
    assert_one_line_error(r, f'no checkpoint to resume from in {work}',
                          '--resume-if-possible')


def test_resume_if_possible_starts_afresh(capsys, data_root, tmp_path):
    work = str(tmp_path / 'fresh_work')
    r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', work,
            '--resume-if-possible', *short_run(data_root))
    assert r.code == 0, r.err[-2000:]
    assert 'nothing to resume from' in r.out
    assert osp.isfile(osp.join(work, 'iter_2.pth'))


def test_resume_given_a_key_value(capsys, data_root, tmp_path):
    r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', str(tmp_path), '--resume',
            'train_cfg.max_iters=4', *short_run(data_root))
    assert_one_line_error(r, '--resume takes a checkpoint path or nothing',
                          'train_cfg.max_iters=4')


def test_resume_missing_path(capsys, data_root, tmp_path):
    path = str(tmp_path / 'iter_9.pth')
    r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', str(tmp_path), '--resume',
            path, *short_run(data_root))
    assert_one_line_error(r, path, 'not found')


# -------------------------------------------------------------- outputs
def test_out_dir_with_results(capsys, data_root, trained, tmp_path):
    out = str(tmp_path / 'out')
    r = _test(capsys, data_root, trained['poly'], '--out', out)
    assert r.code == 0, r.err[-2000:]
    stale = osp.join(out, 'semseg', 'stale_image.png')
    shutil.copy(glob.glob(osp.join(out, 'semseg', '*.png'))[0], stale)
    r = _test(capsys, data_root, trained['poly'], '--out', out)
    assert_one_line_error(r, out, 'already holds results', '--overwrite')
    # a file the manifest does not list is neither removed nor mixed in
    r = _test(capsys, data_root, trained['poly'], '--out', out, '--overwrite')
    assert_one_line_error(r, out, 'stale_image.png', 'does not list')
    assert osp.exists(stale)
    os.remove(stale)
    r = _test(capsys, data_root, trained['poly'], '--out', out, '--overwrite')
    assert r.code == 0, r.err[-2000:]
    assert len(os.listdir(osp.join(out, 'semseg'))) == 3


def test_undefined_metrics_are_null(capsys, own_data, trained, tmp_path):
    # every val image: no normals-valid class (sky) and no salient pixel
    for img_id in open(osp.join(own_data,
                                'ImageSets/Context/val.txt')).read().split():
        mat = osp.join(own_data, 'pascal-context/trainval', img_id + '.mat')
        from scipy.io import loadmat
        label_map = loadmat(mat)['LabelMap']
        savemat(mat, {'LabelMap': np.full_like(label_map, 360)})
        sal = osp.join(own_data, 'sal_distill', img_id + '.png')
        mmcv.imwrite(np.zeros_like(mmcv.imread(sal, 'grayscale')), sal)
    out = str(tmp_path / 'out')
    r = _test(capsys, own_data, trained['poly'], '--out', out,
              'tasks.semseg.delta_m_reference=1',
              'tasks.human_parts.delta_m_reference=1',
              'tasks.sal.delta_m_reference=1',
              'tasks.normals.delta_m_reference=1')
    assert r.code == 0, r.err[-2000:]
    text = open(osp.join(out, 'metrics.json')).read()
    assert 'NaN' not in text
    metrics = json.loads(text)['metrics']
    assert metrics['normals/mean'] is None
    assert metrics['delta_m'] is None
    assert metrics['semseg/mIoU'] is not None
    log = r.out + r.err
    assert 'task normals: mean, median' in log
    assert 'Δm undefined' in log and 'normals/mean' in log


def test_debug_shows_the_traceback(capsys, data_root, trained, tmp_path):
    path = str(tmp_path / 'notes.pth')
    open(path, 'w').write('hello')
    r = _test(capsys, data_root, path, '--debug')
    assert r.code != 0
    assert 'Traceback' in r.err and 'CheckpointFormatError' in r.err
