"""``import mmpoly`` leaves MMEngine's file I/O alone; the installer, which
MultiTaskRunner and the tools call, puts mmpoly's backend and loader in."""
import os.path as osp
import sys

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner.checkpoint import CheckpointLoader, load_from_local
from mmpoly_test_utils import run_tool

from mmpoly.engine import MultiTaskRunner
from mmpoly.engine import runner as runner_module
from mmpoly.engine.checkpoint_loading import CheckpointFormatError
from mmpoly.models.backbones import CheckedPretrainedInit

#: Run in a fresh interpreter: each ``assert`` names what it checks.
IMPORT_THEN_INSTALL = '''
import mmpoly
from mmengine.fileio import get_file_backend
from mmengine.fileio.backends import LocalBackend
from mmengine.fileio.backends.registry_utils import (backends,
                                                     prefix_to_backends)
from mmengine.model.weight_init import PretrainedInit
from mmengine.registry import WEIGHT_INITIALIZERS
from mmengine.runner.checkpoint import CheckpointLoader, load_from_local

from mmpoly.engine import file_backends_installed, install_file_backends
from mmpoly.engine.atomic_local_backend import AtomicLocalBackend
from mmpoly.engine.checkpoint_loading import load_local_checkpoint

local = '/some/folder/iter_1.pth'
assert backends['local'] is LocalBackend, f'after import: {backends}'
assert prefix_to_backends[''] is LocalBackend, 'after import: prefix'
assert CheckpointLoader._get_checkpoint_loader(local) is load_from_local, (
    'after import: checkpoint loader')
assert WEIGHT_INITIALIZERS.get('Pretrained') is PretrainedInit, (
    "after import: MMEngine's Pretrained")
from mmseg.registry import WEIGHT_INITIALIZERS as MMSEG_INITIALIZERS
assert MMSEG_INITIALIZERS.get('Pretrained').__name__ == (
    'CheckedPretrainedInit'), "mmseg scope's Pretrained"
assert not file_backends_installed()
cached = get_file_backend(local, enable_singleton=True)
assert type(cached) is LocalBackend, f'cached before install: {cached}'
http = CheckpointLoader._get_checkpoint_loader('https://host/w.pth')

install_file_backends()
install_file_backends()  # idempotent
assert file_backends_installed()
assert backends['local'] is AtomicLocalBackend, f'installed: {backends}'
assert prefix_to_backends[''] is AtomicLocalBackend, 'installed: prefix'
assert type(get_file_backend(local, enable_singleton=True)) is (
    AtomicLocalBackend), 'installed: the cached plain backend was kept'
assert CheckpointLoader._get_checkpoint_loader(local) is (
    load_local_checkpoint), 'installed: checkpoint loader'
assert CheckpointLoader._get_checkpoint_loader('https://host/w.pth') is (
    http), 'installed: another scheme changed'
print('checked')
'''


def test_import_leaves_mmengine_io_until_installed():
    proc = run_tool([sys.executable, '-c', IMPORT_THEN_INSTALL])
    assert proc.stdout.strip().endswith('checked'), proc.stdout[-2000:]


class _NoModel(BaseModel):

    def forward(self, *args, **kwargs):
        raise NotImplementedError('not run')


def test_multitask_runner_installs_them(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(runner_module, 'install_file_backends',
                        lambda: calls.append(len(calls)))
    MultiTaskRunner(
        model=_NoModel(),
        work_dir=str(tmp_path),
        experiment_name=f'file_backends_{id(tmp_path)}')
    assert calls == [0]


def test_pretrained_init_reads_local_files_safely_uninstalled(
        tmp_path, monkeypatch):
    """The checked ``Pretrained`` reads a local file with mmpoly's loader
    (a truncated file named as such) where MMEngine's own loader is still
    registered, as in a model built without runner or tool."""
    monkeypatch.setitem(CheckpointLoader._schemes, '', load_from_local)
    path = str(tmp_path / 'cut.pth')
    torch.save({'weight': torch.zeros(64, 64)}, path)
    with open(path, 'r+b') as f:
        f.truncate(osp.getsize(path) // 2)
    with pytest.raises(CheckpointFormatError, match=r'\(truncated\?\)'):
        CheckedPretrainedInit(checkpoint=path)(nn.Linear(64, 64))
