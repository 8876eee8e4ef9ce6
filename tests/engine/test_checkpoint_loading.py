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
from mmpoly.engine.checkpoint_loading import (LEGACY_HEADER, TRUST_ENV,
                                              CheckpointFormatError)

# MultiTaskRunner and the tools install the loader; ``import mmpoly`` does not
pytestmark = pytest.mark.usefixtures('file_backends')


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


# ------------------------------------------------ legacy (non-zip) files
def _legacy(path, obj):
    torch.save(obj, str(path), _use_new_zipfile_serialization=False)


@pytest.mark.parametrize('trusted', ['0', '1'])
def test_legacy_checkpoint_loads(tmp_path, monkeypatch, trusted):
    # OpenMMLab's model-zoo files are written in the legacy format
    monkeypatch.setenv(TRUST_ENV, trusted)
    path = tmp_path / 'swin_tiny_224_b16x64_300e_imagenet.pth'
    model = nn.Linear(3, 4)
    _legacy(path, dict(state_dict=model.state_dict(), meta=dict(epoch=300)))
    ckpt = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert ckpt['meta']['epoch'] == 300
    assert torch.equal(ckpt['state_dict']['weight'], model.weight)


def test_legacy_disallowed_global_refused(tmp_path):
    path = tmp_path / 'evil_legacy.pth'
    _legacy(path, dict(obj=NotAllowed()))
    with pytest.raises(pickle.UnpicklingError) as e:
        load_local_checkpoint(str(path))
    assert 'NotAllowed' in str(e.value) and str(path) in str(e.value)
    assert TRUST_ENV in str(e.value)


@pytest.mark.parametrize('legacy', [False, True], ids=['zip', 'legacy'])
@pytest.mark.parametrize('trusted', ['0', '1'])
def test_truncated_checkpoint_named(tmp_path, monkeypatch, legacy, trusted):
    monkeypatch.setenv(TRUST_ENV, trusted)
    full = tmp_path / 'full.pth'
    state = dict(state_dict=OrderedDict(w=torch.randn(64, 64)), meta={})
    if legacy:
        _legacy(full, state)
    else:
        torch.save(state, str(full))
    data = full.read_bytes()
    # cut in the tensor data, in the pickle, and just after the header
    for cut in (len(data) - 7, len(data) // 2, 300, 20):
        path = tmp_path / f'cut_{cut}.pth'
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointFormatError) as e:
            CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
        msg = str(e.value)
        assert msg.startswith(f'{path} is not a complete PyTorch checkpoint '
                              '(truncated?)'), msg
        assert '\n' not in msg


def test_not_a_checkpoint_named(tmp_path):
    path = tmp_path / 'notes.pth'
    path.write_text('not a checkpoint')
    with pytest.raises(CheckpointFormatError, match='not a complete'):
        load_local_checkpoint(str(path))


@pytest.mark.parametrize('trusted', ['0', '1'])
def test_legacy_cut_anywhere_in_its_pickles_named(tmp_path, monkeypatch,
                                                  trusted):
    """A model-zoo-like legacy file (an ``OrderedDict`` of many tensors with
    ``_metadata``, and a meta dict) cut at any byte of its pickles: the
    unpickler fails in many ways (``struct.error``, unknown opcodes, ...);
    every one is the "not complete" line, never another object or error."""
    monkeypatch.setenv(TRUST_ENV, trusted)
    model = nn.Sequential(*[nn.Linear(2, 2) for _ in range(12)])
    full = tmp_path / 'zoo_legacy.pth'
    _legacy(full, dict(state_dict=model.state_dict(), meta=dict(epoch=300)))
    data = full.read_bytes()
    data_start = len(data) - 12 * 6 * 4 - 24 * 8  # raw storages at the end
    path = tmp_path / 'cut.pth'
    for cut in range(len(LEGACY_HEADER), data_start, 3):
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointFormatError, match='not a complete'):
            load_local_checkpoint(str(path))
