"""Units of the training guards: random states of checkpoints written during
validation, pending validations, non-finite tensors, the work dir lock,
config differences on resume, a damaged last_checkpoint."""
import math
import os
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from mmpoly.engine.hooks import (NonFiniteLossHook, NonFiniteTrainingError,
                                 RandomStateHook)
from mmpoly.engine.hooks.non_finite_loss_hook import (_describe,
                                                      first_non_finite)
from mmpoly.engine.resume_checkpoint import find_resume_checkpoint
from mmpoly.engine.resume_config import config_differences, overridden_by
from mmpoly.engine.work_dir_lock import (LOCK_NAME, WorkDirLock,
                                         WorkDirLockedError)
from mmpoly.utils import process_rank


class _Runner:

    def __init__(self, it=2):
        loop = type('Loop', (), {})()
        loop.dataloader_iterator = iter(range(100))
        self.iter, self.train_loop, self._train_loop = it, loop, loop


# ------------------------------------------------------------ RNG states
def test_checkpoint_written_during_validation_holds_the_training_state():
    hook, runner = RandomStateHook(), _Runner()
    torch.manual_seed(0)
    expected = torch.rand(1).item()  # the training's next draw
    torch.manual_seed(0)
    hook.before_val(runner)
    torch.rand(7)  # validation draws (a data loader's base seed...)
    ckpt = {}
    hook.before_save_checkpoint(runner, ckpt)  # save_best writes again
    hook.after_val(runner)
    torch.rand(3)
    hook.after_load_checkpoint(runner, ckpt)
    resumed = _Runner(2)
    hook.before_train(resumed)
    next(resumed.train_loop.dataloader_iterator)
    next(resumed.train_loop.dataloader_iterator)
    torch.rand(5)  # the replay's draws
    next(resumed.train_loop.dataloader_iterator)
    assert torch.rand(1).item() == expected


def test_checkpoint_written_before_the_first_new_batch_holds_the_resumed():
    hook = RandomStateHook()
    torch.manual_seed(3)
    saved = {}
    hook.before_save_checkpoint(None, saved)
    hook.after_load_checkpoint(None, saved)
    hook.before_train(_Runner(2))
    torch.rand(4)  # a validation repeated on resume
    again = {}
    hook.before_save_checkpoint(None, again)
    assert torch.equal(again['random_state']['torch'],
                       saved['random_state']['torch'])


# ------------------------------------------------------------ non-finite
def test_first_non_finite_names_nested_tensors():
    good = torch.ones(2)
    assert first_non_finite([('a', good), ('b', {'c': [good, 1]})]) is None
    bad = torch.tensor([1.0, math.nan])
    assert first_non_finite([('a', good),
                             ('opt', {
                                 'state': {
                                     3: {
                                         'exp_avg': bad
                                     }
                                 }
                             })]) == 'opt.state.3.exp_avg'
    assert first_non_finite([('i', torch.tensor([1, 2]))]) is None


def test_describe_names_the_tasks():
    assert _describe({'loss': math.nan, 'sal.loss_bce': math.inf},
                     None) == 'the loss of task sal is not finite ' \
                              '(sal.loss_bce=inf)'
    assert _describe({
        'a.loss': math.nan,
        'b.loss': math.nan
    }, None).startswith('the losses of tasks a, b are')
    assert 'gradient of w' in _describe({}, 'w')


def test_non_finite_gradient_skips_the_step():
    from mmengine.optim import OptimWrapper
    hook = NonFiniteLossHook()
    w = torch.nn.Parameter(torch.ones(3))
    wrapper = OptimWrapper(torch.optim.SGD([w], lr=1.0))
    hook._guard(wrapper, {id(w): 'head.w'})
    wrapper.update_params((w * torch.tensor([1.0, math.inf, 1.0])).sum())
    assert torch.equal(w.detach(), torch.ones(3))  # not stepped
    assert hook._bad_grad == 'head.w'
    hook._bad_grad = None
    wrapper.update_params(w.sum())  # a finite step goes through
    assert torch.equal(w.detach(), torch.zeros(3))
    assert hook._bad_grad is None


def test_non_finite_checkpoint_refused():
    hook = NonFiniteLossHook()
    ckpt = dict(
        meta=dict(iter=7),
        state_dict={'a': torch.ones(1)},
        optimizer={'state': {
            0: {
                'exp_avg': torch.tensor([math.nan])
            }
        }})
    with pytest.raises(
            NonFiniteTrainingError,
            match=r'iteration 7: optimizer.state.0.exp_avg is '
            'not finite'):
        hook.before_save_checkpoint(None, ckpt)
    ckpt['optimizer'] = {}
    hook.before_save_checkpoint(None, ckpt)


def test_non_finite_optimizer_state_refused_before_old_ones_rotate():
    """The check at the end of an iteration whose checkpoint is due (before
    CheckpointHook deletes the oldest) covers the optimizer state too."""
    from types import SimpleNamespace

    from mmengine.hooks import CheckpointHook
    from mmengine.optim import OptimWrapper
    w = torch.nn.Parameter(torch.ones(2))
    model = torch.nn.Module()
    model.w = w
    optimizer = torch.optim.Adam([w])
    wrapper = OptimWrapper(optimizer)
    w.grad = torch.ones(2)
    optimizer.step()
    ckpt_hook = CheckpointHook(interval=1, by_epoch=False)
    runner = SimpleNamespace(
        hooks=[ckpt_hook],
        model=model,
        optim_wrapper=wrapper,
        iter=1,
        max_iters=10,
        train_loop=SimpleNamespace(max_iters=10))
    hook = NonFiniteLossHook()
    hook._check_before_save(runner)  # all finite: nothing said
    optimizer.state[w]['exp_avg_sq'][0] = math.inf
    with pytest.raises(
            NonFiniteTrainingError,
            match=r'iteration 2: optimizer.state.0.exp_avg_sq is not '
            'finite'):
        hook._check_before_save(runner)


def test_only_rank_0_locks(monkeypatch):
    monkeypatch.setenv('RANK', '3')
    assert process_rank('pytorch') == 3
    assert process_rank('none') == 0
    monkeypatch.delenv('RANK')
    monkeypatch.setenv('SLURM_PROCID', '1')
    assert process_rank('slurm') == 1


def test_non_finite_hook_arguments():
    with pytest.raises(ValueError, match="'stop', 'skip'"):
        NonFiniteLossHook(action='ignore')


# ---------------------------------------------------------------- lock
def test_lock_refuses_a_second_holder_and_takes_over_a_dead_one(tmp_path):
    work = str(tmp_path / 'w')
    with WorkDirLock(work) as lock:
        text = open(lock.path).read()
        assert f'pid={os.getpid()}' in text
        with pytest.raises(WorkDirLockedError, match='in use by another'):
            WorkDirLock(work).acquire()
    assert not os.path.exists(os.path.join(work, LOCK_NAME))
    # the lock made the work dir and nothing else was written: removed
    assert not os.path.exists(work)
    # the lock file of a process that died without releasing it
    os.makedirs(work)
    path = os.path.join(work, LOCK_NAME)
    subprocess.run([
        sys.executable, '-c', f'import os; open({path!r}, "w").write('
        'f"pid={os.getpid()}\\nhost={os.uname()[1]}\\n")'
    ],
                   check=True)
    with WorkDirLock(work):
        assert f'pid={os.getpid()}' in open(path).read()
    assert os.path.isdir(work)  # it was there before: kept


# -------------------------------------------------------- resume config
def test_config_differences():
    saved = Config(
        dict(
            train_cfg=dict(max_iters=10),
            optim_wrapper=dict(optimizer=dict(lr=1e-3, betas=(0.9, 0.99))),
            tasks=dict(sal=dict(loss_weight=1.0)),
            work_dir='a'))
    now = Config(
        dict(
            train_cfg=dict(max_iters=20),
            optim_wrapper=dict(optimizer=dict(lr=1e-2, betas=[0.9, 0.99])),
            tasks=dict(sal=dict(loss_weight=1.0)),
            work_dir='b'))
    assert config_differences(saved, now) == [
        ('train_cfg.max_iters', 10, 20),
        ('optim_wrapper.optimizer.lr', 1e-3, 1e-2),
    ]
    assert overridden_by('optim_wrapper.optimizer.lr')
    assert overridden_by('param_scheduler.1.end')
    assert overridden_by('tasks.sal.loss_weight') is None


# ------------------------------------------------------ last_checkpoint
def test_damaged_last_checkpoint(tmp_path):
    from mmengine.runner import save_checkpoint
    work = str(tmp_path)
    pointer = tmp_path / 'last_checkpoint'
    pointer.write_bytes(b'\xff\xfe\x00')
    with pytest.raises(ValueError, match='not a text file naming a'):
        find_resume_checkpoint(work)
    save_checkpoint(dict(state_dict={}), str(tmp_path / 'iter_4.pth'))
    assert find_resume_checkpoint(work) == str(tmp_path / 'iter_4.pth')
    pointer.write_text(str(tmp_path / 'iter_9.pth'))
    assert find_resume_checkpoint(work) == str(tmp_path / 'iter_4.pth')
