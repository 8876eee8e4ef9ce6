"""Sliding-window inference (``model.test_cfg.mode='slide'``)."""
import pytest
import torch
from mmpoly_test_utils import fake_batch, mini_swin, segmentor_cfg

from mmpoly.models.segmentors.sliding_window import (check_test_cfg,
                                                     slide_logits,
                                                     window_starts)
from mmseg.registry import MODELS


def test_window_starts_cover_the_axis():
    assert window_starts(64, 64, 32) == [0]
    assert window_starts(40, 64, 32) == [0]  # smaller than one window
    assert window_starts(100, 64, 32) == [0, 32, 36]
    for size, crop, stride in ((97, 32, 20), (128, 48, 48), (33, 32, 1)):
        starts = window_starts(size, crop, stride)
        covered = set()
        for s in starts:
            covered |= set(range(s, min(s + crop, size)))
        assert covered == set(range(size))
        assert starts[-1] + crop >= size


def test_slide_averages_each_tasks_windows():
    """Against a hand computation: a fake network whose logits are its
    window's offset, so each pixel's average is known."""

    def encode(crop, metas, tasks):
        assert tuple(metas[0]['img_shape']) == tuple(crop.shape[2:])
        x0 = crop[:, :1, :1, :1]  # the x coordinate of the window's corner
        return {
            'a': x0.expand(-1, 2, *crop.shape[2:]).clone(),
            'b': torch.ones(crop.shape[0], 1, *crop.shape[2:])
        }

    width = 10
    inputs = torch.arange(width, dtype=torch.float).expand(1, 3, 4, width)
    out = slide_logits(encode, inputs.contiguous(), [dict()], (4, 6), (4, 2),
                       None)
    assert set(out) == {'a', 'b'} and out['a'].shape == (1, 2, 4, width)
    starts = window_starts(width, 6, 2)  # [0, 2, 4]
    for x in range(width):
        covering = [s for s in starts if s <= x < s + 6]
        assert torch.allclose(out['a'][0, :, :, x],
                              torch.tensor(sum(covering) / len(covering)))
    assert torch.allclose(out['b'], torch.ones_like(out['b']))


@pytest.mark.parametrize('test_cfg,words', [
    (dict(mode='sliding'), "model.test_cfg.mode='sliding': expected one of"),
    (dict(mode='slide'), 'model.test_cfg.crop_size=None'),
    (dict(mode='slide', crop_size=(32, 32),
          stride=(0, 16)), 'model.test_cfg.stride=(0, 16)'),
])
def test_bad_test_cfg_refused_in_one_line(test_cfg, words):
    with pytest.raises(ValueError) as e:
        check_test_cfg(test_cfg)
    assert words in str(e.value) and '\n' not in str(e.value)


def test_slide_with_one_window_equals_whole():
    """A window as large as the input is the whole pass; smaller windows
    give every task's prediction at the image size."""
    torch.manual_seed(0)
    whole = MODELS.build(segmentor_cfg(mini_swin()))
    whole.eval()
    inputs, samples = fake_batch(n=1, size=64)
    slide = MODELS.build(
        segmentor_cfg(
            mini_swin(), test_cfg=dict(mode='slide', crop_size=64, stride=32)))
    slide.load_state_dict(whole.state_dict())
    slide.eval()
    with torch.no_grad():
        a = whole.predict(inputs, samples)[0]
        b = slide.predict(inputs, samples)[0]
        slide.test_cfg.update(crop_size=(32, 32), stride=(16, 16))
        c = slide.predict(inputs, samples)[0]
    for task in whole.tasks:
        key = f'pred_{task}'
        assert torch.equal(a.get(key).data, b.get(key).data), task
        assert c.get(key).data.shape == a.get(key).data.shape, task
