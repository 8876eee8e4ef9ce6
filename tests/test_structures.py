"""MultiTaskDataSample."""
import pytest
import torch
from mmengine.structures import PixelData

from mmpoly.structures import MultiTaskDataSample


def test_data_sample_gt_and_pred():
    s = MultiTaskDataSample(metainfo=dict(img_path='/x/2008_000001.jpg'))
    gt = PixelData(data=torch.zeros(1, 2, 2, dtype=torch.long))
    s.gt_semseg = gt
    s.pred_sal = PixelData(data=torch.full((1, 2, 2), 0.3))
    assert s.gt_tasks() == ['semseg']
    assert s.get_gt('semseg') is gt
    assert torch.allclose(s.get_pred('sal').data, torch.full((1, 2, 2), 0.3))


def test_data_sample_get_gt_missing_message():
    s = MultiTaskDataSample(metainfo=dict(img_path='/x/2008_000001.jpg'))
    s.gt_semseg = PixelData(data=torch.zeros(1, 2, 2, dtype=torch.long))
    with pytest.raises(KeyError) as e:
        s.get_gt('normals')
    msg = str(e.value)
    assert '/x/2008_000001.jpg' in msg
    assert "'normals'" in msg
    assert 'gt_semseg' in msg  # lists the fields it has
    with pytest.raises(KeyError, match="'sal'"):
        s.get_pred('sal')
