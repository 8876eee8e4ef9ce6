"""Safe loading of MMEngine checkpoints on PyTorch >= 2.6."""
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import load_checkpoint, save_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

from mmpoly.engine import checkpoint_safe_globals, load_local_checkpoint
from mmpoly.engine.checkpoint_loading import TRUST_ENV


class NotAllowed:
    """A class no safe loader knows."""

    def __init__(self, value=7):
        self.value = value


@pytest.fixture(autouse=True)
def _untrusted(monkeypatch):
    monkeypatch.delenv(TRUST_ENV, raising=False)


def _mmengine_checkpoint(path):
    hub = MessageHub.get_instance('mmpoly_test_ckpt')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', 0.5)
    hub.update_info('iter', np.int64(3))
    hub.update_info('arr', np.arange(3, dtype=np.float32))
    model = nn.Linear(2, 3)
    ckpt = dict(
        meta=dict(epoch=1, iter=3, seed=np.int64(42), lr=np.float64(0.5)),
        state_dict=model.state_dict(),
        message_hub=hub.state_dict())
    save_checkpoint(ckpt, str(path))
    return model


def test_mmengine_checkpoint_loads(tmp_path):
    path = tmp_path / 'iter_3.pth'
    model = _mmengine_checkpoint(path)
    ckpt = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert ckpt['meta']['epoch'] == 1
    assert ckpt['meta']['seed'] == 42
    assert isinstance(ckpt['meta']['lr'], np.floating)
    assert torch.equal(ckpt['state_dict']['weight'], model.weight)
    buf = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.mean() == pytest.approx(1.0)
    assert buf.current() == pytest.approx(0.5)
    info = ckpt['message_hub']['runtime_info']
    assert info['iter'] == 3
    np.testing.assert_array_equal(info['arr'], [0, 1, 2])


def test_load_checkpoint_into_model(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    src = _mmengine_checkpoint(path)
    dst = nn.Linear(2, 3)
    load_checkpoint(dst, str(path), map_location='cpu')
    assert torch.equal(dst.weight, src.weight)
    assert torch.equal(dst.bias, src.bias)


def test_patched_loader_is_registered():
    loader = CheckpointLoader._get_checkpoint_loader('/some/local/file.pth')
    assert loader is load_local_checkpoint
    names = [getattr(g, '__name__', str(g)) for g in checkpoint_safe_globals()]
    assert 'HistoryBuffer' in names


def test_disallowed_global_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save(
        dict(state_dict=OrderedDict(w=torch.ones(1)), obj=NotAllowed()),
        str(path))
    with pytest.raises(pickle.UnpicklingError) as e:
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    msg = str(e.value)
    assert 'NotAllowed' in msg
    assert str(path) in msg
    assert TRUST_ENV in msg


@pytest.mark.parametrize('value', ['1', 'yes'])
def test_trusted_env_loads(tmp_path, monkeypatch, value):
    path = tmp_path / 'evil.pth'
    torch.save(dict(obj=NotAllowed(11)), str(path))
    monkeypatch.setenv(TRUST_ENV, value)
    ckpt = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert isinstance(ckpt['obj'], NotAllowed)
    assert ckpt['obj'].value == 11


def test_trusted_env_zero_is_not_trusted(tmp_path, monkeypatch):
    path = tmp_path / 'evil.pth'
    torch.save(dict(obj=NotAllowed()), str(path))
    monkeypatch.setenv(TRUST_ENV, '0')
    with pytest.raises(pickle.UnpicklingError, match='NotAllowed'):
        load_local_checkpoint(str(path))


def test_missing_file(tmp_path):
    path = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError) as e:
        CheckpointLoader.load_checkpoint(path)
    assert path in str(e.value)
