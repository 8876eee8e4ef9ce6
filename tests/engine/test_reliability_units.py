"""Units behind reliable runs: atomic writes, checkpoint fit checks, the
random-state hook, resume lookup."""
import os
import os.path as osp
import random

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.fileio import get_file_backend
from mmengine.runner import save_checkpoint

from mmpoly.engine import CheckpointMismatchError, check_checkpoint_fits
from mmpoly.engine.atomic_local_backend import (AtomicLocalBackend,
                                                write_atomically)
from mmpoly.engine.checkpoint_fit import checkpoint_origin
from mmpoly.engine.checkpoint_loading import (CheckpointFormatError,
                                              load_local_checkpoint)
from mmpoly.engine.hooks.random_state_hook import (RandomStateHook,
                                                   get_random_state,
                                                   set_random_state)
from mmpoly.engine.resume_checkpoint import (find_resume_checkpoint,
                                             resolve_resume)


# ------------------------------------------------------------ atomic put
def test_local_paths_use_the_atomic_backend(tmp_path, file_backends):
    assert isinstance(
        get_file_backend(str(tmp_path / 'x')), AtomicLocalBackend)


def test_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / 'iter_2.pth'
    write_atomically(b'old', path)
    assert oct(os.stat(path).st_mode & 0o777) != oct(0o600)

    def crash(fd):
        raise KeyboardInterrupt  # e.g. killed while flushing

    monkeypatch.setattr(os, 'fsync', crash)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(b'new' * 1000, path)
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['iter_2.pth']  # no temporary left


def test_mmengine_save_checkpoint_goes_through_it(tmp_path, monkeypatch):
    calls = []
    real = os.replace
    monkeypatch.setattr(os, 'replace',
                        lambda a, b: calls.append(b) or real(a, b))
    path = str(tmp_path / 'iter_1.pth')
    save_checkpoint(dict(state_dict=nn.Linear(2, 2).state_dict()), path)
    assert calls == [path]
    assert 'weight' in load_local_checkpoint(path)['state_dict']


# ---------------------------------------------------- checkpoint formats
def test_truncated_checkpoint_named(tmp_path):
    path = str(tmp_path / 'iter_1.pth')
    save_checkpoint(dict(state_dict=nn.Linear(8, 8).state_dict()), path)
    data = open(path, 'rb').read()
    for cut in (len(data) - 10, len(data) // 2, 0):
        open(path, 'wb').write(data[:cut])
        with pytest.raises(CheckpointFormatError) as e:
            load_local_checkpoint(path)
        assert str(e.value).startswith(
            f'{path} is not a complete PyTorch checkpoint (truncated?)')


# --------------------------------------------------------- checkpoint fit
class _Model(nn.Module):

    def __init__(self, rank=4):
        super().__init__()
        self.frozen = nn.Linear(4, 4)
        self.frozen.requires_grad_(False)
        self.adapter = nn.Linear(4, rank)
        self.head = nn.Linear(rank, 2)


def test_fitting_checkpoint_passes_and_frozen_may_be_absent():
    model = _Model()
    state = {k: v for k, v in model.state_dict().items() if 'frozen' not in k}
    check_checkpoint_fits(model, dict(state_dict=state), 'a.pth')
    check_checkpoint_fits(model, {
        'module.' + k: v
        for k, v in state.items()
    }, 'b.pth')


def test_missing_unexpected_and_mismatched_named():
    model = _Model()
    state = _Model(rank=8).state_dict()
    del state['head.bias']
    state['extra.weight'] = torch.zeros(1)
    cfg = "model = dict(backbone=dict(tuner=dict(type='LoRA', rank=8)))"
    ckpt = dict(
        state_dict=state, meta=dict(cfg=cfg, experiment_name='lora_x_2026'))
    with pytest.raises(CheckpointMismatchError) as e:
        check_checkpoint_fits(model, ckpt, 'c.pth')
    msg = str(e.value)
    assert 'checkpoint c.pth does not fit' in msg
    assert "1 of the model's 4 trainable tensors are missing (head.bias)" \
        in msg
    assert '1 tensors are not in the model (extra.weight)' in msg
    assert 'adapter.weight (8, 4) vs (4, 4)' in msg
    assert 'experiment lora_x_2026, tuner LoRA' in msg
    assert '\n' not in msg


def test_not_strict_warns(capsys):
    check_checkpoint_fits(_Model(), {}, 'd.pth', strict=False, logger=None)
    assert 'Loaded anyway (not strict)' in capsys.readouterr().out


def test_origin_without_meta():
    assert checkpoint_origin({'state_dict': {}}) == ''
    assert checkpoint_origin({'meta': {
        'cfg': 'model = dict()'
    }}) == ('no tuner')


# ------------------------------------------------------------ RNG states
def test_random_state_round_trip():
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    state = get_random_state()
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    set_random_state(state)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == a


class _Runner:
    """What the hook reads of a runner."""

    def __init__(self, it, loop):
        self.iter, self.train_loop, self._train_loop = it, loop, loop


class _Loop:

    def __init__(self):
        self.dataloader_iterator = iter(range(100))


def test_hook_restores_after_the_skipped_batches():
    hook = RandomStateHook()
    torch.manual_seed(0)
    ckpt = {}
    hook.before_save_checkpoint(None, ckpt)
    expected = torch.rand(1).item()  # the first draw after the checkpoint
    hook.after_load_checkpoint(None, ckpt)
    loop = _Loop()
    hook.before_train(_Runner(3, loop))
    for _ in range(3):  # the data loader replay draws numbers of its own
        next(loop.dataloader_iterator)
        torch.rand(5)
    assert next(loop.dataloader_iterator) == 3
    assert torch.rand(1).item() == expected


def test_validation_leaves_training_streams_alone():
    hook = RandomStateHook()
    runner = _Runner(2, _Loop())
    torch.manual_seed(0)
    expected = torch.rand(1).item()
    torch.manual_seed(0)
    hook.before_val(runner)
    torch.rand(10)  # a validation drawing numbers
    hook.after_val(runner)
    assert torch.rand(1).item() == expected


# ---------------------------------------------------------------- resume
def _ckpt(path):
    save_checkpoint(dict(state_dict={}), str(path))
    return str(path)


def test_resume_lookup(tmp_path):
    work = str(tmp_path)
    assert find_resume_checkpoint(work) is None
    _ckpt(tmp_path / 'iter_2.pth')
    four = _ckpt(tmp_path / 'iter_4.pth')
    assert find_resume_checkpoint(work) == four  # no last_checkpoint
    open(tmp_path / 'iter_6.pth', 'wb').write(b'PK cut')  # incomplete
    assert find_resume_checkpoint(work) == four
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth'))
    assert find_resume_checkpoint(work) == str(tmp_path / 'iter_2.pth')
    (tmp_path / 'last_checkpoint').write_text('')  # cut by a crash
    assert find_resume_checkpoint(work) == four


def test_resolve_resume(tmp_path):
    work = str(tmp_path)
    assert resolve_resume(None, False, work) is None
    assert resolve_resume(None, True, work) is None
    with pytest.raises(FileNotFoundError, match='--resume-if-possible'):
        resolve_resume('auto', False, work)
    with pytest.raises(ValueError, match='--cfg-options'):
        resolve_resume('a.b=1', False, work)
    path = _ckpt(tmp_path / 'iter_2.pth')
    assert resolve_resume('auto', False, work) == path
    assert resolve_resume(None, True, work) == path
    assert resolve_resume(path, False, '/elsewhere') == path
    assert osp.isfile(path)
