"""Small builders shared by the tests (tiny models and fake batches)."""
import copy
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData

from mmpoly.structures import MultiTaskDataSample

TASKS = ('semseg', 'human_parts', 'sal', 'normals')
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
        decode_heads={
            t: dict(type='AllMLPHead', channels=channels)
            for t in tasks
        },
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
    samples = []
    for _ in range(n):
        s = MultiTaskDataSample(
            metainfo=dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                pad_shape=(size, size),
                padding_size=(0, 0, 0, 0)))
        for t in tasks:
            if t == 'semseg':
                d = torch.randint(0, 21, (1, size, size), generator=g)
            elif t == 'human_parts':
                d = torch.randint(0, 7, (1, size, size), generator=g)
            elif t == 'sal':
                d = torch.randint(0, 2, (1, size, size), generator=g)
            else:
                d = F.normalize(torch.randn(3, size, size, generator=g), dim=0)
            s.set_field(PixelData(data=d), f'gt_{t}')
        samples.append(s)
    return inputs, samples
