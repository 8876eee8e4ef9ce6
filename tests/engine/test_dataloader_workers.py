"""Persistent dataloader workers are stopped when a run ends, and the next
run starts new ones."""
import gc
import os.path as osp
import time

import pytest
import torch
from mmengine.config import Config
from mmpoly_test_utils import REPO, toy_data
from torch.utils.data import DataLoader, Dataset

from mmpoly.engine import MultiTaskRunner
from mmpoly.engine.dataloader_workers import release_workers


class _Numbers(Dataset):

    def __len__(self) -> int:
        return 6

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.tensor([i])


def _persistent_loader() -> DataLoader:
    return DataLoader(
        _Numbers(), batch_size=2, num_workers=1, persistent_workers=True)


def test_release_stops_the_workers_and_the_next_epoch_restarts_them():
    loader = _persistent_loader()
    first = [b.tolist() for b in loader]
    workers = list(loader._iterator._workers)
    assert all(w.is_alive() for w in workers)  # persistent between epochs
    start = time.monotonic()
    release_workers(loader)
    assert time.monotonic() - start < 2  # not the 5 s join timeout
    assert loader._iterator is None
    assert not any(w.is_alive() for w in workers)
    assert [b.tolist() for b in loader] == first  # new workers
    release_workers(loader)


def test_release_leaves_other_loaders_alone():
    release_workers([1, 2, 3])  # not a DataLoader
    in_process = DataLoader(_Numbers(), batch_size=2)
    assert len(list(in_process)) == 3
    release_workers(in_process)  # nothing to stop
    loader = _persistent_loader()
    release_workers(loader)  # never iterated
    assert loader._iterator is None


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return toy_data(tmp_path_factory, 'workers', num_train=2, num_val=2)


def test_runner_stops_its_loaders_workers_after_each_run(data_root, tmp_path):
    """A runner that is dropped after test() does not stall the next
    garbage collection (it did for 5 s per loader), and a second test()
    with new workers gives the same metrics."""
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/toy/polyhistor_swin-mini_toy-pascal.py'))
    loader_cfg = cfg.test_dataloader
    assert loader_cfg.num_workers > 0 and loader_cfg.persistent_workers
    for phase in ('train', 'val', 'test'):
        cfg[f'{phase}_dataloader'].dataset.data_root = data_root
    cfg.work_dir = str(tmp_path)
    cfg.log_level = 'WARNING'
    runner = MultiTaskRunner.from_cfg(cfg)
    first = runner.test()
    loader = runner.test_loop.dataloader
    assert loader._iterator is None
    assert runner.test() == first
    assert loader._iterator is None
    start = time.monotonic()
    del runner, loader
    gc.collect()
    assert time.monotonic() - start < 2
