"""MultiTaskMetric on samples shaped like MMEngine passes them."""
import math
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmpoly_test_utils import TASK_CFGS, task_cfgs
from mmseg.registry import METRICS

from mmpoly.datasets.pascal_meta import human_part_classes, voc_classes
from mmpoly.evaluation.metrics import MultiTaskMetric
from mmpoly.structures import MultiTaskDataSample
from mmpoly.tasks.normals_task import encode_normals


def metric(tasks=tuple(TASK_CFGS), **kw):
    cfgs = tasks if isinstance(tasks, dict) else task_cfgs(tasks)
    return MultiTaskMetric(tasks=cfgs, **kw)


def _deg(a):
    return [math.cos(math.radians(a)), math.sin(math.radians(a)), 0.0]


def _normals(*vectors):
    """(3, 2, 2) tensor from 4 xyz vectors in row-major pixel order."""
    return torch.tensor(vectors, dtype=torch.float32).t().reshape(3, 2, 2)


def _long(x):
    return torch.tensor(x, dtype=torch.long)[None]


def _case():
    """Two 2x2 images: (task -> (pred, gt)) per image."""
    img1 = dict(
        semseg=(_long([[0, 1], [1, 3]]), _long([[0, 0], [1, 255]])),
        human_parts=(_long([[0, 0], [0, 0]]), _long([[255, 255], [255, 255]])),
        sal=(torch.tensor([[[0.92, 0.63], [0.37,
                                           0.12]]]), _long([[1, 1], [1, 0]])),
        normals=(_normals([1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]),
                 _normals([1, 0, 0], [1, 0, 0], [0, 0, 0], [1, 0, 0])),
    )
    img2 = dict(
        semseg=(_long([[2, 0], [0, 0]]), _long([[2, 2], [0, 0]])),
        human_parts=(_long([[0, 1], [2, 6]]), _long([[0, 1], [1, 6]])),
        sal=(torch.tensor([[[0.27, 0.52], [0.72,
                                           0.97]]]), _long([[0, 0], [1, 1]])),
        normals=(_normals(_deg(20), _deg(10), [0, 1, 0], [0, 0, 1]),
                 _normals([1, 0, 0], [1, 0, 0], [0, 0, 0], [0, 0, 0])),
    )
    return [img1, img2]


def _dict_samples(with_id=True):
    out = []
    for i, img in enumerate(_case()):
        s = {
            'img_path': f'/data/JPEGImages/2008_00000{i + 1}.jpg',
            'ori_shape': (2, 2)
        }
        if with_id:
            s['img_id'] = f'2008_00000{i + 1}'
        for task, (pred, gt) in img.items():
            s[f'pred_{task}'] = {'data': pred}
            s[f'gt_{task}'] = {'data': gt}
        out.append(s)
    return out


# hand-computed (see test_functional.py for the method)
SEMSEG_MIOU = (0.6 + 0.5 + 0.5) / 21 * 100  # classes 3..20 absent -> 0
PARTS_MIOU = (1.0 + 0.5 + 0.0 + 1.0) / 7 * 100  # image 1 is all ignore
SAL_MIOU = (1 + 2 / 3) / 2 * 100  # image mean, best at threshold 0.3
SAL_MAXF = 100 * 1.3 * 0.8 / (0.3 + 0.8)  # threshold 0.55: P 1, R 0.8
NORMALS_MEAN = (0 + 90 + 45 + 20 + 10) / 5


def _run(metric, samples):
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_compute_metrics_hand():
    mt = metric(delta_m=True)
    mt.dataset_meta = dict(
        semseg_classes=voc_classes(), human_parts_classes=human_part_classes())
    m = _run(mt, _dict_samples())
    assert m['semseg/mIoU'] == pytest.approx(SEMSEG_MIOU)
    assert m['semseg/aAcc'] == pytest.approx(5 / 7 * 100)
    assert m['semseg/IoU.background'] == pytest.approx(60.0)
    assert m['semseg/IoU.aeroplane'] == pytest.approx(50.0)
    assert m['semseg/IoU.bicycle'] == pytest.approx(50.0)
    assert m['semseg/IoU.bird'] == 0.0
    assert len([k for k in m if k.startswith('semseg/IoU.')]) == 21
    assert m['human_parts/mIoU'] == pytest.approx(PARTS_MIOU)
    assert m['human_parts/IoU.head'] == pytest.approx(50.0)
    assert m['human_parts/IoU.lower_leg'] == pytest.approx(100.0)
    assert m['sal/mIoU'] == pytest.approx(SAL_MIOU)
    assert m['sal/maxF'] == pytest.approx(SAL_MAXF)
    assert m['normals/mean'] == pytest.approx(NORMALS_MEAN, abs=1e-3)
    assert abs(m['normals/median'] - 20.0) <= 0.05
    assert m['normals/rmse'] == pytest.approx(math.sqrt(2125), abs=1e-3)
    assert m['normals/11.25'] == pytest.approx(40.0)
    assert m['normals/22.5'] == pytest.approx(60.0)
    assert m['normals/30'] == pytest.approx(60.0)
    expected_dm = ((SEMSEG_MIOU - 67.21) / 67.21 +
                   (PARTS_MIOU - 61.93) / 61.93 + (SAL_MIOU - 62.35) / 62.35 -
                   (NORMALS_MEAN - 17.97) / 17.97) / 4 * 100
    assert m['delta_m'] == pytest.approx(expected_dm, rel=1e-5)


def test_absent_class_nan_and_no_per_class():
    tasks = task_cfgs(('semseg', 'human_parts'))
    for cfg in tasks.values():
        cfg.update(absent_class_iou=float('nan'), per_class=False)
    m = _run(metric(tasks, delta_m=False), _dict_samples())
    assert set(m) == {
        'semseg/mIoU', 'semseg/aAcc', 'human_parts/mIoU', 'human_parts/aAcc'
    }
    assert m['semseg/mIoU'] == pytest.approx(1.6 / 3 * 100)
    assert m['human_parts/mIoU'] == pytest.approx(2.5 / 4 * 100)


def test_no_references_no_delta_m_and_class_index_names():
    tasks = task_cfgs(['semseg'])
    tasks['semseg'].pop('delta_m_reference')
    m = _run(metric(tasks), _dict_samples())
    assert 'delta_m' not in m
    assert m['semseg/IoU.0'] == pytest.approx(60.0)  # no dataset_meta
    assert not any(k.startswith('sal/') for k in m)
    # Δm off even with references
    assert 'delta_m' not in _run(
        metric(['semseg'], delta_m=False), _dict_samples())
    # class names given by the task win over the data set's
    tasks = task_cfgs(['human_parts'])
    tasks['human_parts']['class_names'] = list('abcdefg')
    mt = metric(tasks)
    mt.dataset_meta = dict(human_parts_classes=human_part_classes())
    assert 'human_parts/IoU.b' in _run(mt, _dict_samples())


def test_delta_m_asked_for_without_a_reference():
    tasks = task_cfgs()
    del tasks['human_parts']['delta_m_reference']
    with pytest.raises(ValueError) as e:
        metric(tasks, delta_m=True)
    assert 'tasks.human_parts.delta_m_reference' in str(e.value)
    # not asked for: computed only when every task has a reference
    m = _run(metric(tasks), _dict_samples())
    assert 'delta_m' not in m and 'sal/mIoU' in m


def test_tasks_are_required_and_references_moved():
    with pytest.raises(ValueError, match='needs tasks'):
        MultiTaskMetric()
    with pytest.raises(ValueError, match='delta_m_reference'):
        MultiTaskMetric(tasks=task_cfgs(), delta_m_references={})


def test_output_dir(tmp_path):
    out = str(tmp_path / 'preds')
    mt = metric(output_dir=out)
    samples = _dict_samples()
    samples[1].pop('img_id')  # falls back to the image file name
    mt.process({}, samples)
    case = _case()
    for i, img_id in enumerate(('2008_000001', '2008_000002')):
        sem = mmcv.imread(
            osp.join(out, 'semseg', img_id + '.png'), flag='unchanged')
        assert sem.dtype == np.uint8 and sem.shape == (2, 2)
        np.testing.assert_array_equal(sem, case[i]['semseg'][0][0].numpy())
        parts = mmcv.imread(
            osp.join(out, 'human_parts', img_id + '.png'), flag='unchanged')
        np.testing.assert_array_equal(parts,
                                      case[i]['human_parts'][0][0].numpy())
        sal = mmcv.imread(
            osp.join(out, 'sal', img_id + '.png'), flag='unchanged')
        assert sal.ndim == 2 and sal.dtype == np.uint8
        np.testing.assert_array_equal(
            sal, np.rint(case[i]['sal'][0][0].numpy() * 255))
        nrm = mmcv.imread(
            osp.join(out, 'normals', img_id + '.png'), channel_order='rgb')
        assert nrm.shape == (2, 2, 3)
        np.testing.assert_array_equal(
            nrm,
            encode_normals(case[i]['normals'][0].numpy().transpose(1, 2, 0)))
    assert sal[1, 1] == round(0.97 * 255)


def test_errors():
    samples = _dict_samples()
    samples[0]['gt_sal'] = {'data': _long([[1, 1, 0], [1, 0, 0]])}
    with pytest.raises(ValueError) as e:
        metric().process({}, samples)
    assert '2008_000001.jpg' in str(e.value)
    samples = _dict_samples()
    del samples[1]['gt_normals']
    with pytest.raises(KeyError) as e:
        metric().process({}, samples)
    assert 'normals' in str(e.value) and '2008_000002.jpg' in str(e.value)
    samples = _dict_samples()
    del samples[0]['pred_sal']
    with pytest.raises(KeyError, match='sal'):
        metric(['sal']).process({}, samples)
    with pytest.raises(ValueError, match='unknown task type'):
        MultiTaskMetric(tasks=dict(depth=dict(type='Depth')))
    with pytest.raises(ValueError, match='no results'):
        metric().compute_metrics([])


def test_through_mmengine_evaluator():
    """MultiTaskDataSample objects converted by MMEngine's Evaluator."""
    evaluator = Evaluator(
        METRICS.build(dict(type='MultiTaskMetric', tasks=task_cfgs())))
    for i, img in enumerate(_case()):
        s = MultiTaskDataSample(
            metainfo=dict(img_path=f'/data/JPEGImages/2008_00000{i + 1}.jpg'))
        for task, (pred, gt) in img.items():
            s.set_field(PixelData(data=pred), f'pred_{task}')
            s.set_field(PixelData(data=gt), f'gt_{task}')
        evaluator.process(data_samples=[s], data_batch=dict(inputs=None))
    m = evaluator.evaluate(2)
    assert m['semseg/mIoU'] == pytest.approx(SEMSEG_MIOU)
    assert m['human_parts/mIoU'] == pytest.approx(PARTS_MIOU)
    assert m['sal/mIoU'] == pytest.approx(SAL_MIOU)
    assert m['sal/maxF'] == pytest.approx(SAL_MAXF)
    assert m['normals/mean'] == pytest.approx(NORMALS_MEAN, abs=1e-3)
    assert 'delta_m' in m
