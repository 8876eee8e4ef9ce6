"""Shared fixtures: registries and a small generated data set."""
import os
import os.path as osp

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpoly_test_utils import toy_data

import mmpoly  # noqa: F401  (registers everything)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TASKS = ('semseg', 'human_parts', 'sal', 'normals')


def _threads_per_process() -> int:
    """Two threads, or the cores shared out among pytest-xdist's workers
    when the suite runs in several processes (``-n N``)."""
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '1'))
    return max(1, min(2, (os.cpu_count() or 1) // workers))


torch.set_num_threads(_threads_per_process())


@pytest.fixture(autouse=True)
def _mmseg_scope():
    init_default_scope('mmseg')


@pytest.fixture(scope='session')
def toy_root(tmp_path_factory):
    """A small toy PASCAL-Context MT data set (8 train, 4 val, 64 px)."""
    return toy_data(tmp_path_factory, 'toy_pascal_mt')


@pytest.fixture
def file_backends():
    """mmpoly's atomic local backend and safe checkpoint loader, installed
    into MMEngine as MultiTaskRunner and the tools install them
    (``import mmpoly`` alone does not)."""
    from mmpoly.engine import install_file_backends
    install_file_backends()
