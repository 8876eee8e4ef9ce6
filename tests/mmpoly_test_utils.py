"""Small builders shared by the tests (tiny models and fake batches)."""
import copy
import os.path as osp
from typing import Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.structures import PixelData

from mmpoly.structures import MultiTaskDataSample
from mmpoly.tasks import build_tasks

#: The four PASCAL-Context tasks, as the dataset config declares them.
TASK_CFGS = Config.fromfile(
    osp.join(
        osp.dirname(osp.dirname(osp.abspath(__file__))),
        'configs/_base_/datasets/pascal_context_mt.py')).tasks.to_dict()
TASKS = tuple(TASK_CFGS)


def task_cfgs(tasks: Sequence[str] = TASKS) -> dict:
    """The config ``tasks`` dict of some of the PASCAL tasks."""
    return {t: copy.deepcopy(TASK_CFGS[t]) for t in tasks}


MINI_ARCH = dict(embed_dims=32, depths=[2, 2, 2, 2], num_heads=[1, 2, 4, 8])


def mini_swin(drop_path_rate: float = 0.0, arch=None) -> dict:
    """Config of a small randomly initialised mmpretrain Swin."""
    return dict(
        type='mmpretrain.SwinTransformer',
        arch=copy.deepcopy(arch or MINI_ARCH),
        out_indices=(0, 1, 2, 3),
        drop_path_rate=drop_path_rate,
        pad_small_map=True)


def small_tuner(kind: str = 'Polyhistor', **kw) -> dict:
    cfg = dict(type=kind, embed_dims=16, hidden_dims=16, code_dims=8, rank=4)
    cfg.update(kw)
    return cfg


def segmentor_cfg(backbone: dict,
                  tasks: Sequence[str] = TASKS,
                  channels: int = 16,
                  **kw) -> dict:
    cfg = dict(
        type='MultiTaskSegmentor',
        backbone=backbone,
        tasks=task_cfgs(tasks),
        decode_head=dict(type='AllMLPHead', channels=channels),
        data_preprocessor=dict(
            type='MultiTaskDataPreprocessor', size=(64, 64)))
    cfg.update(kw)
    return cfg


def fake_batch(tasks: Sequence[str] = TASKS,
               n: int = 2,
               size: int = 64,
               seed: int = 0) -> Tuple[torch.Tensor, list]:
    """Normalised images and samples with ground truth for ``tasks``."""
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, size, size, generator=g)
    task_set = build_tasks(task_cfgs(tasks))
    samples = []
    for _ in range(n):
        s = MultiTaskDataSample(
            metainfo=dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                pad_shape=(size, size),
                padding_size=(0, 0, 0, 0)))
        for task in task_set.values():
            s.set_field(
                PixelData(data=task.fake_gt(size, size, g)), task.gt_key)
        samples.append(s)
    return inputs, samples


def pascal_tasks(tasks: Sequence[str] = TASKS):
    """The :class:`~mmpoly.tasks.TaskSet` of some of the PASCAL tasks."""
    return build_tasks(task_cfgs(tasks))
