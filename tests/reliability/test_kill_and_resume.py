"""Fault tolerance: a training with the real configs' checkpoint settings
(``save_best``, ``max_keep_ckpts``, a checkpoint at every validation),
stopped by Ctrl-C (SIGINT) during its first validation, by SIGTERM (Slurm
preemption) after a validation improved the best score and by SIGKILL
during the validation that finds the best model, each time resumed with
--resume, ends bit-identical to the uninterrupted run, with the same best
checkpoint."""
import glob
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import zipfile

import torch
from conftest import TOY_POLY
from fault_hooks import ENV, fault_config
from mmengine.config import Config
from mmpoly_test_utils import REPO, toy_options

PY = sys.executable
HERE = osp.dirname(osp.abspath(__file__))

#: The checkpoint settings every real config has (the Swin-T Polyhistor
#: config stands for all): only sizes and iterations are scaled down.
REAL = Config.fromfile(osp.join(REPO, 'configs/polyhistor_swin-t.py'))
REAL_CKPT = REAL.default_hooks.checkpoint
assert REAL_CKPT.interval == REAL.train_cfg.val_interval
assert REAL_CKPT.save_best and REAL_CKPT.max_keep_ckpts

#: 6 iterations, a validation and a checkpoint every 2; drop-path and the
#: augmentation pipeline (random resize, crop, flip, photometric
#: distortion, in the main process) draw random numbers every iteration.
RUN = {
    'train_cfg.max_iters': 6,
    'train_cfg.val_interval': 2,
    'default_hooks.checkpoint.interval': 2,
    'default_hooks.checkpoint.save_best': REAL_CKPT.save_best,
    'default_hooks.checkpoint.rule': REAL_CKPT.rule,
    'default_hooks.checkpoint.max_keep_ckpts': REAL_CKPT.max_keep_ckpts,
    'model.backbone.backbone.drop_path_rate': 0.2,
}
#: What each stop leaves behind and how the process ends.
EXIT = {'TERM': -15, 'KILL': -9, 'INT': 130}


def _default_sigint() -> None:
    """Ctrl-C as at a terminal: a shell that starts the test suite in the
    background (``pytest &``) makes its children ignore SIGINT, and Python
    then keeps ignoring it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(config, data_root, work, fault=None, *extra):
    """Start ``tools/train.py`` (one thread), with ``fault`` (see
    :mod:`fault_hooks`)."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO, HERE, env.get('PYTHONPATH', '')])
    env.pop(ENV, None)
    if fault:
        env[ENV] = fault
    return subprocess.Popen(
        [PY, 'tools/train.py', config, '--work-dir', work, *extra] +
        toy_options(data_root, **RUN),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_default_sigint)


def _finish(proc):
    """Exit status and output of a started run."""
    out, _ = proc.communicate(timeout=600)
    return proc.returncode, out


def _checkpoint(path):
    return torch.load(path, map_location='cpu', weights_only=False)


def _best(work):
    """The best checkpoint's file name and its weights."""
    found = glob.glob(osp.join(work, 'best_*.pth'))
    assert len(found) == 1, found
    return osp.basename(found[0]), _checkpoint(found[0])['state_dict']


def test_stopped_runs_resume_to_the_same_result(data_root, tmp_path):
    config = fault_config(tmp_path, TOY_POLY)
    straight, work = str(tmp_path / 'straight'), str(tmp_path / 'stopped')
    # Ctrl-C during the first validation (beside the uninterrupted run)
    first = _start(config, data_root, work, 'INT@val:2')
    code, log = _finish(_start(config, data_root, straight))
    assert code == 0, log[-3000:]
    # the validation whose checkpoint became the best is killed (losing it
    # would lose the best model); SIGTERM after a validation improved the
    # best score, when iter_2.pth was written a second time
    best_name, best_weights = _best(straight)
    best_iter = int(re.search(r'iter_(\d+)\.pth$', best_name).group(1))
    faults = ['INT@val:2', 'TERM@train:3', f'KILL@val:{max(best_iter, 4)}']
    for k, fault in enumerate(faults + [None]):
        run = first if k == 0 else _start(config, data_root, work, fault,
                                          '--resume')
        code, log = _finish(run)
        expected = EXIT[fault.split('@')[0]] if fault else 0
        assert code == expected, (fault, log[-3000:])
        previous = faults[k - 1] if k else ''
        if '@val:' in previous:
            # the stopped validation is run again before training goes on
            step = int(previous.split(':')[1])
            assert re.search(rf'resumed epoch: \d+, iter: {step}\b',
                             log), log[-3000:]
            assert f'validating iteration {step} first' in log
            assert f'Iter(train) [{step}/6]' not in log
            if step < 6:
                assert log.index('Iter(val) [') < log.index(
                    f'Iter(train) [{step + 1}/6]')
        if fault is None:
            break
        # every checkpoint left is complete (written under another name
        # and renamed) and last_checkpoint names one of them
        for path in glob.glob(osp.join(work, '*.pth')):
            assert zipfile.is_zipfile(path), path
        with open(osp.join(work, 'last_checkpoint')) as f:
            assert osp.isfile(f.read().strip())
        if '@val:' in fault:
            # the checkpoint written before the stopped validation says so
            step = fault.split(':')[1]
            last = _checkpoint(osp.join(work, f'iter_{step}.pth'))
            assert last['validation_pending'] is True

    a = _checkpoint(osp.join(straight, 'iter_6.pth'))
    b = _checkpoint(osp.join(work, 'iter_6.pth'))
    assert b['validation_pending'] is False
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key in a['state_dict']:  # bit-exact on CPU, same thread count
        assert torch.equal(a['state_dict'][key], b['state_dict'][key]), key
    info_a = a['message_hub']['runtime_info']
    info_b = b['message_hub']['runtime_info']
    assert info_a['best_score'] == info_b['best_score']
    # the best model survives, although its validation was killed
    name, weights = _best(work)
    assert name == best_name
    for key in best_weights:
        assert torch.equal(best_weights[key], weights[key]), key
    assert sorted(f for f in os.listdir(straight) if f.endswith('.pth')) \
        == sorted(f for f in os.listdir(work) if f.endswith('.pth'))
