"""The PASCAL-Context tasks as the dataset config declares them."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmpoly.tasks import (BinaryTask, EdgeTask, NormalsTask, SegmentationTask,
                          build_task, build_tasks)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = Config.fromfile(
    osp.join(REPO, 'configs/_base_/datasets/pascal_context_mt.py'))
TASKS = build_tasks(CFG.tasks)


@pytest.mark.parametrize('name,cls,out,weight,higher,primary,ref', [
    ('semseg', SegmentationTask, 21, 1.0, True, 'mIoU', 67.21),
    ('human_parts', SegmentationTask, 7, 2.0, True, 'mIoU', 61.93),
    ('sal', BinaryTask, 1, 5.0, True, 'mIoU', 62.35),
    ('normals', NormalsTask, 3, 10.0, False, 'mean', 17.97),
])
def test_declared_tasks(name, cls, out, weight, higher, primary, ref):
    task = TASKS[name]
    assert type(task) is cls
    assert task.out_channels == out
    assert task.loss_weight == weight
    assert task.higher_is_better is higher
    assert task.primary_metric == primary
    assert task.delta_m_reference == ref


def test_order_pad_values_and_edge():
    assert TASKS.names == ('semseg', 'human_parts', 'sal', 'normals')
    assert [TASKS[t].pad_value for t in TASKS] == [255, 255, 255, 0.0]
    edge = build_task('edge', CFG.edge_task)
    assert isinstance(edge, EdgeTask) and edge.max_dist == 0.0075
    assert edge.loss_weight == 50.0 and edge.delta_m_reference is None
    assert edge.pad_value == 255 and edge.out_channels == 1
    assert edge.default_loss() == dict(
        type='BalancedBinaryCrossEntropyLoss',
        pos_weight=0.95,
        loss_name='loss_edge_bce')


def test_label_tasks_resize_nearest_and_flip():
    sem = np.array([[0, 1, 2], [3, 4, 5]], np.uint8)
    up = TASKS['semseg'].resize_gt(sem, (6, 4))
    np.testing.assert_array_equal(up, sem.repeat(2, 0).repeat(2, 1))
    np.testing.assert_array_equal(TASKS['semseg'].flip_gt(sem, 'horizontal'),
                                  sem[:, ::-1])


def test_activations_and_logit_flips():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(21, 4, 5, generator=g)
    pred = TASKS['semseg'].activate(logits)
    assert pred.shape == (1, 4, 5) and pred.dtype == torch.int64
    assert torch.equal(pred[0], logits.argmax(0))
    prob = TASKS['sal'].activate(torch.randn(1, 4, 5, generator=g))
    assert prob.min() >= 0 and prob.max() <= 1
    n = TASKS['normals'].activate(torch.randn(3, 4, 5, generator=g))
    torch.testing.assert_close(n.norm(dim=0), torch.ones(4, 5))
    x = torch.randn(3, 4, 5, generator=g)
    f = TASKS['normals'].flip_logits(x, 'horizontal')
    assert torch.equal(f[0], -x[0].flip(-1)) and torch.equal(
        f[1], x[1].flip(-1))
    f = TASKS['normals'].flip_logits(x, 'vertical')
    assert torch.equal(f[1], -x[1].flip(-2)) and torch.equal(
        f[2], x[2].flip(-2))
    assert torch.equal(TASKS['semseg'].flip_logits(logits, 'horizontal'),
                       logits.flip(-1))


def test_loss_targets_and_training_logs():
    gt = torch.tensor([[[[1, 2], [255, 0]]]])
    assert TASKS['semseg'].loss_target(gt).shape == (1, 2, 2)
    logits = torch.zeros(1, 21, 2, 2)
    logits[0, 1, 0, 0] = logits[0, 5, 0, 1] = logits[0, 0, 1, 1] = 1.0
    logs = TASKS['semseg'].train_log_vars(logits, gt.squeeze(1))
    assert logs['acc_seg'].item() == pytest.approx(200 / 3)  # 2 of 3
    normals = torch.zeros(2, 3, 4, 4)
    assert TASKS['normals'].loss_target(normals) is normals
