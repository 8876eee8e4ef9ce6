"""Shared fixtures: registries and a small generated data set."""
import os.path as osp

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpoly_test_utils import toy_data

import mmpoly  # noqa: F401  (registers everything)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TASKS = ('semseg', 'human_parts', 'sal', 'normals')

torch.set_num_threads(2)


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
