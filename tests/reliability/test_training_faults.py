"""Faults of a training run through tools/train.py: divergence (NaN), two
trainings in one work dir, a resume with another config, a damaged
last_checkpoint."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import torch
from conftest import TOY_POLY, assert_one_line_error, cli, short_run
from fault_hooks import ENV, fault_config

from mmpoly.engine.work_dir_lock import LOCK_NAME, WorkDirLock

TRAIN = 'tools/train.py'
BN_STATS = ('running_mean', 'running_var', 'num_batches_tracked')


def _load(path):
    return torch.load(path, map_location='cpu', weights_only=False)


def _pointer(work):
    with open(osp.join(work, 'last_checkpoint')) as f:
        return f.read().strip()


def _finite(state_dict):
    return all(
        bool(torch.isfinite(v).all()) for v in state_dict.values()
        if v.is_floating_point())


# ------------------------------------------------------------ divergence
def test_diverging_training_stops_at_the_first_nan(capsys, data_root,
                                                   tmp_path):
    work = str(tmp_path)
    r = cli(
        capsys, TRAIN, TOY_POLY, '--work-dir', work,
        *short_run(
            data_root, **{
                'train_cfg.max_iters': 4,
                'default_hooks.checkpoint.interval': 1,
                'default_hooks.checkpoint.max_keep_ckpts': 1,
                'optim_wrapper.optimizer.lr': 1e12,
            }))
    line = assert_one_line_error(r, 'iteration 2: the loss', 'not finite',
                                 'training stopped')
    assert 'semseg.loss_ce=nan' in line
    # the good checkpoint stays, and stays the one to resume from
    assert sorted(f for f in os.listdir(work)
                  if f.endswith('.pth')) == ['iter_1.pth']
    assert _pointer(work) == osp.join(work, 'iter_1.pth')
    assert f'{work}/iter_1.pth, is kept' in line
    assert _finite(_load(osp.join(work, 'iter_1.pth'))['state_dict'])


def test_skip_drops_the_update_of_a_nan_iteration(capsys, data_root, tmp_path,
                                                  monkeypatch):
    config = fault_config(
        tmp_path, TOY_POLY, "custom_hooks = [dict(type='FaultHook'), "
        "dict(type='NonFiniteLossHook', action='skip')]\n")
    monkeypatch.setenv(ENV, 'NAN@semseg:1')  # semseg's head, iteration 2
    work = str(tmp_path / 'work')
    r = cli(capsys, TRAIN, config, '--work-dir', work,
            *short_run(data_root, **{'default_hooks.checkpoint.interval': 1}))
    assert r.code == 0, r.out[-3000:] + r.err[-3000:]
    assert ('iteration 2: the loss of task semseg is not finite '
            '(semseg.loss_ce=nan); the update of this iteration is '
            'skipped') in r.out
    one = _load(osp.join(work, 'iter_1.pth'))
    two = _load(osp.join(work, 'iter_2.pth'))
    assert _finite(two['state_dict'])
    for key, value in one['state_dict'].items():  # no weight was updated
        if key.endswith(BN_STATS):  # a forward updates those
            continue
        assert torch.equal(value, two['state_dict'][key]), key


# -------------------------------------------------------- work dir lock
def test_second_training_in_a_locked_work_dir(capsys, data_root, tmp_path):
    work = str(tmp_path)
    with WorkDirLock(work):  # a training of this process holds it
        r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', work,
                *short_run(data_root))
    assert_one_line_error(
        r, f'work dir {work} is in use by another '
        f'training (process {os.getpid()} on ')
    assert not osp.exists(osp.join(work, LOCK_NAME))  # released
    assert not [f for f in os.listdir(work) if f != LOCK_NAME]


def _dead_pid():
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


# ---------------------------------------------------------------- resume
def _resumable(trained, tmp_path):
    """A copy of the work dir of a 2-iteration run (iter_2.pth)."""
    work = str(tmp_path / 'work')
    shutil.copytree(osp.dirname(trained['poly']), work)
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'iter_2.pth'))
    return work


def test_resume_from_a_damaged_work_dir_with_another_config(
        capsys, data_root, trained, tmp_path):
    """One resumed run: a binary last_checkpoint, a stale lock file, and
    another learning rate, loss weight and max_iters."""
    work = _resumable(trained, tmp_path)
    pointer = osp.join(work, 'last_checkpoint')
    with open(pointer, 'wb') as f:
        f.write(b'\x80\xfe\x00\xffPK\x03\x04garbage')
    dead = _dead_pid()  # a training that died holding the lock
    with open(osp.join(work, LOCK_NAME), 'w') as f:
        f.write(f'pid={dead}\nhost=elsewhere\n')
    # resume=True without a path: MMEngine's resume, with mmpoly's lookup
    r = cli(
        capsys, TRAIN, TOY_POLY, '--work-dir', work,
        *short_run(
            data_root, **{
                'resume': True,
                'train_cfg.max_iters': 3,
                'optim_wrapper.optimizer.lr': 0.5,
                'tasks.semseg.loss_weight': 3.0,
            }))
    assert r.code == 0, r.out[-3000:] + r.err[-3000:]
    assert (f'{pointer} is not a text file naming a checkpoint (binary '
            f'data): resuming from the newest complete checkpoint, '
            f'{work}/iter_2.pth') in r.out
    assert f'taking over the lock of a training that is no longer ' \
           f'running (process {dead} on elsewhere' in r.out
    assert not osp.exists(osp.join(work, LOCK_NAME))  # released at exit
    assert 'the config differs from the one the checkpoint was trained ' \
           'with' in r.out
    assert ("optim_wrapper.optimizer.lr: 0.002 in the checkpoint, 0.5 now "
            "(overridden by the checkpoint's optimizer state: the run goes "
            'on with 0.002)') in r.out
    assert ('tasks.semseg.loss_weight: 1.0 in the checkpoint, 3.0 now (the '
            'new value is in effect)') in r.out
    assert 'model.tasks.semseg' not in r.out  # the copies are not repeated
    assert 'train_cfg.max_iters: 2 in the checkpoint, 3 now' in r.out
    assert 'Iter(train) [3/3]' in r.out


def test_resume_refuses_max_iters_at_the_checkpoint(capsys, data_root, trained,
                                                    tmp_path):
    work = _resumable(trained, tmp_path)
    r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', work, '--resume',
            *short_run(data_root))  # max_iters=2, the checkpoint's
    assert_one_line_error(
        r, 'train_cfg.max_iters=2 is at or below the iteration of the '
        f'checkpoint {work}/iter_2.pth (2): nothing is left to train')


def test_garbage_last_checkpoint_without_fallback(capsys, data_root, tmp_path):
    work = str(tmp_path)
    pointer = osp.join(work, 'last_checkpoint')
    with open(pointer, 'wb') as f:
        f.write(b'\x80\xfe\x00\xff')
    r = cli(capsys, TRAIN, TOY_POLY, '--work-dir', work, '--resume',
            *short_run(data_root))
    assert_one_line_error(r,
                          f'{pointer} is not a text file naming a checkpoint',
                          f'{work} holds no complete iter_N.pth')
