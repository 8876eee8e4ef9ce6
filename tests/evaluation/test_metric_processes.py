"""The metric is exact on identical predictions whatever the number of
processes: 5 images (not divisible by 2) on 1 and on 2 gloo processes."""
import os
import pickle

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.dist import get_rank
from mmpoly_test_utils import free_port, task_cfgs

from mmpoly.evaluation.metrics import MultiTaskMetric
from mmpoly.tasks import build_tasks

NUM_IMAGES = 5


def _samples():
    tasks = build_tasks(task_cfgs())
    out = []
    for i in range(NUM_IMAGES):
        g = torch.Generator().manual_seed(i)
        h, w = 20 + i, 24 + 2 * i
        sample = dict(img_path=f'img_{i}.jpg')
        for task in tasks.values():
            sample[task.gt_key] = dict(data=task.fake_gt(h, w, g))
            pred = task.fake_gt(h, w, g)
            if pred.dtype.is_floating_point and task.out_channels == 1:
                pred = torch.rand(1, h, w, generator=g)  # probabilities
            sample[task.pred_key] = dict(data=pred)
        out.append(sample)
    return out


def _evaluate(indices):
    metric = MultiTaskMetric(tasks=task_cfgs())
    samples = _samples()
    for i in indices:
        metric.process({}, [samples[i]])
    return metric.evaluate(NUM_IMAGES)


def _worker(rank, world, port, out_path):
    from mmengine.registry import init_default_scope

    import mmpoly  # noqa: F401  (a spawned process starts bare)
    init_default_scope('mmseg')
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    # DefaultSampler without shuffling: the index list padded to a multiple
    # of the world size by repeating its start, rank r takes every world-th
    padded = list(range(NUM_IMAGES)) + list(range(NUM_IMAGES))
    total = -(-NUM_IMAGES // world) * world
    metrics = _evaluate(padded[:total][rank::world])
    if get_rank() == 0:
        with open(out_path, 'wb') as f:
            pickle.dump(metrics, f)
    dist.destroy_process_group()


def test_one_and_two_processes_give_identical_metrics(tmp_path):
    single = _evaluate(range(NUM_IMAGES))
    out = str(tmp_path / 'two.pkl')
    mp.spawn(_worker, args=(2, free_port(), out), nprocs=2, join=True)
    with open(out, 'rb') as f:
        double = pickle.load(f)
    assert single.keys() == double.keys()
    for key in single:  # bit-identical, not approximately equal
        assert single[key] == double[key], (key, single[key], double[key])
