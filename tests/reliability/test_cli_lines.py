"""The second sweep's lines that did not name the culprit, through the real
tools: each now names the file, key or value and what was expected (one
``error:`` line, exit status 1, no traceback)."""
import errno
import glob
import os
import os.path as osp
import shutil
from unittest import mock

import pytest
from conftest import TOY_POLY, assert_one_line_error, cli, short_run
from mmpoly_test_utils import toy_options

DEMO, TRAIN = 'demo/image_demo.py', 'tools/train.py'


def _images(root, n):
    return sorted(glob.glob(osp.join(root, 'JPEGImages', '*.jpg')))[:n]


# ----------------------------------------------------- demo/image_demo.py
def test_demo_takes_a_folder(capsys, data_root, trained, tmp_path):
    folder = tmp_path / 'photos'
    folder.mkdir()
    shutil.copy(_images(data_root, 1)[0], folder)
    shutil.copy(_images(data_root, 1)[0], folder / 'same_stem.png')
    shutil.copy(_images(data_root, 1)[0], folder / 'same_stem.jpg')
    (folder / 'notes.txt').write_text('not an image')
    out = tmp_path / 'panels'
    r = cli(capsys, DEMO, folder, TOY_POLY, trained['poly'], '--out-dir', out,
            '--device', 'cpu', '--tasks', 'semseg')
    assert r.code == 0, r.err[-2000:]
    name = osp.splitext(osp.basename(_images(data_root, 1)[0]))[0]
    assert set(os.listdir(out)) == {
        f'{name}.png', 'same_stem.png.png', 'same_stem.jpg.png'
    }
    assert '3 images; 1 other files left out' in r.out


@pytest.mark.parametrize('content,needle', [([], 'is empty'),
                                            (['notes.txt'], 'holds no image')])
def test_demo_folder_without_images(capsys, tmp_path, content, needle):
    folder = tmp_path / 'photos'
    folder.mkdir()
    for name in content:
        (folder / name).write_text('x')
    ckpt = tmp_path / 'never_read.pth'
    ckpt.write_bytes(b'x')
    r = cli(capsys, DEMO, folder, TOY_POLY, ckpt, '--device', 'cpu')
    assert_one_line_error(r, str(folder), needle, '.jpg')


def test_demo_out_file_checked_before_inference(capsys, data_root, tmp_path):
    ckpt = tmp_path / 'never_read.pth'  # the check comes before loading
    ckpt.write_bytes(b'x')
    r = cli(capsys, DEMO,
            _images(data_root, 1)[0], TOY_POLY, ckpt, '--out-file',
            tmp_path / 'panel.txt', '--device', 'cpu')
    assert_one_line_error(r, str(tmp_path / 'panel.txt'), "'.txt'", '.png',
                          '.jpg')


# ------------------------------------------------- numeric settings
@pytest.mark.parametrize('option,words', [
    ('optim_wrapper.optimizer.lr=fast',
     ['optim_wrapper.optimizer.lr=fast', 'number expected', '0.002']),
    ('train_cfg.max_iters=ten',
     ['train_cfg.max_iters=ten', 'a positive whole number expected']),
    ('train_cfg.val_interval=0',
     ['train_cfg.val_interval=0', 'a positive whole number expected']),
])
def test_numeric_setting_not_a_number(capsys, data_root, tmp_path, option,
                                      words):
    r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', tmp_path / 'w',
            *short_run(data_root), option)
    assert_one_line_error(r, *words)
    assert not osp.exists(tmp_path / 'w')  # refused before anything ran


# ------------------------------------------------------- full disk
class _FullDisk:
    """A file opened for writing on a full disk: every write fails."""

    def __init__(self, f):
        self._f = f

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()

    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self._f, name)


def test_full_disk_names_the_checkpoint(capsys, data_root, tmp_path):
    work = str(tmp_path / 'w')
    real_fdopen = os.fdopen

    def fdopen(fd, mode='r', *args, **kwargs):  # what checkpoints go through
        f = real_fdopen(fd, mode, *args, **kwargs)
        return _FullDisk(f) if 'w' in mode else f

    one_iteration = {
        'train_cfg.max_iters': 1,
        'default_hooks.checkpoint.interval': 1
    }
    with mock.patch('os.fdopen', fdopen):
        r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', work,
                *short_run(data_root, **one_iteration))
    assert_one_line_error(r, 'cannot write', osp.join(work, 'iter_1.pth'),
                          'No space left on device', '[Errno 28]')
    assert 'Iter(train) [1/1]' in r.out  # it failed saving, not before
    assert not glob.glob(osp.join(work, '.*.tmp'))  # no half-written file


# ---------------------------------------------------- analysis tools
@pytest.mark.parametrize('tool,args,words', [
    ('tools/analysis/get_flops.py', ['--shape', '0', '64'],
     ['--shape 0 64', 'positive whole number', 'got 0']),
    ('tools/analysis/get_flops.py', ['--shape', '64', '-8'
                                     ], ['--shape 64 -8', 'got -8']),
    ('tools/analysis/benchmark.py', ['--size', '0'], ['--size 0']),
    ('tools/analysis/benchmark.py', ['--batch', '0'], ['--batch 0']),
    ('tools/analysis/benchmark_table.py', ['--flops-shape', '0', '0'
                                           ], ['--flops-shape 0 0']),
])
def test_analysis_sizes_checked(capsys, tool, args, words):
    config = [] if 'table' in tool else [TOY_POLY]
    r = cli(capsys, tool, *config, *args)
    assert_one_line_error(r, *words)


# ------------------------------------------------- paths with spaces
def test_data_root_with_spaces_kept(capsys, data_root, tmp_path):
    spaced = str(tmp_path / 'my data')
    shutil.copytree(data_root, spaced)
    r = cli(capsys, 'tools/misc/check_dataset.py', TOY_POLY,
            *toy_options(spaced))  # one argument per option, as "k=v" gives
    assert r.code == 0, r.err[-2000:]  # MMEngine's parser: .../mydata
    assert 'train_dataloader: 4 images' in r.out
    missing = str(tmp_path / 'no such, data')
    r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', tmp_path / 'w',
            *short_run(missing))
    assert_one_line_error(r, f"'{missing}' does not exist")
