"""Fault tolerance: a training killed with SIGKILL between two checkpoints
and resumed with --resume ends where the uninterrupted run ends."""
import glob
import os.path as osp
import re
import signal
import subprocess
import sys
import time
import zipfile

import pytest
import torch
from conftest import TOY_POLY
from mmpoly_test_utils import REPO, toy_options

PY = sys.executable

#: 6 iterations, a checkpoint every 2; drop-path (0.1 in the toy Swin) and
#: the augmentation pipeline (random resize, crop, flip, photometric
#: distortion, in the main process) draw random numbers every iteration.
RUN = {
    'train_cfg.max_iters': 6,
    'train_cfg.val_interval': 2,  # validation between checkpoints too
    'default_hooks.checkpoint.interval': 2,
    'default_hooks.checkpoint.max_keep_ckpts': 5,
    'model.backbone.backbone.drop_path_rate': 0.2,
}


def _train(data_root, work, *extra):
    return [PY, 'tools/train.py', TOY_POLY, '--work-dir', work, *extra
            ] + toy_options(data_root, **RUN)


def _env():
    import os
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    return env


def _final_tensors(work):
    ckpt = torch.load(
        osp.join(work, 'iter_6.pth'), map_location='cpu', weights_only=False)
    return ckpt['state_dict'], ckpt['message_hub']


def _names_checkpoint(pointer):
    """Whether ``pointer`` (a last_checkpoint file) names a checkpoint."""
    if not osp.isfile(pointer):
        return False
    with open(pointer) as f:
        return f.read().strip().endswith('.pth')


def test_killed_training_resumes_to_the_same_result(data_root, tmp_path):
    straight = str(tmp_path / 'straight')
    subprocess.run(
        _train(data_root, straight),
        cwd=REPO,
        env=_env(),
        check=True,
        capture_output=True)

    killed = str(tmp_path / 'killed')
    proc = subprocess.Popen(
        _train(data_root, killed),
        cwd=REPO,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    # CheckpointHook writes iter_2.pth, then last_checkpoint naming it
    while not _names_checkpoint(osp.join(killed, 'last_checkpoint')):
        assert proc.poll() is None, 'the training ended before its kill'
        assert time.time() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)  # between iter_2.pth and iter_4.pth
    proc.wait()
    saved = sorted(glob.glob(osp.join(killed, '*.pth')))
    assert not osp.isfile(osp.join(killed, 'iter_6.pth'))
    # every checkpoint left behind is complete: written to a temporary file
    # and renamed, so a kill mid-write leaves no half file under its name
    for path in saved:
        assert zipfile.is_zipfile(path), path
    last = open(osp.join(killed, 'last_checkpoint')).read().strip()
    assert last in saved

    resumed = subprocess.run(
        _train(data_root, killed, '--resume'),
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True)
    log = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, log[-3000:]
    start = int(osp.basename(last)[5:-4])
    assert re.search(rf'resumed epoch: \d+, iter: {start}\b', log), log[-3000:]
    assert f'Iter(train) [{start + 1}/6]' in log
    assert f'Iter(train) [{start}/6]' not in log

    a, hub_a = _final_tensors(straight)
    b, hub_b = _final_tensors(killed)
    assert a.keys() == b.keys()
    for key in a:  # bit-exact on CPU with the same thread count
        assert torch.equal(a[key], b[key]), key
    scalars_a, scalars_b = hub_a['log_scalars'], hub_b['log_scalars']
    for key in ('val/delta_m', 'val/normals/mean', 'val/semseg/mIoU'):
        if key in scalars_a:
            assert scalars_a[key].current() == pytest.approx(
                scalars_b[key].current(), abs=0), key
