"""README "Adding a new task", step by step, exactly as written there.

The files the README shows must be the files in tests/new_task_example/,
and its commands are run as they stand, with two changes for time: the
schedule is cut to a few iterations (``--cfg-options``) and the test step
loads that iteration's checkpoint instead of ``iter_400.pth``.
"""
import json
import os.path as osp

import mmcv
import numpy as np
import pytest
from readme_walkthrough import (REPO, readme_section, run_commands,
                                shown_files)

pytestmark = pytest.mark.e2e
SECTION = 'Adding a new task'


def test_readme_shows_the_example_files():
    shown = shown_files(readme_section(SECTION))
    assert len(shown) == 2
    for path, code in shown:
        assert open(osp.join(REPO, path)).read() == code, path


def test_walkthrough(tmp_path):
    train_log = run_commands(readme_section(SECTION),
                             tmp_path)['tools/train.py']

    root = tmp_path / 'data' / 'toy_pascal_mt'
    ids = (root / 'ImageSets' / 'Context' / 'val.txt').read_text().split()
    palette = {(0, 0, 0), (220, 60, 60), (60, 180, 60), (60, 60, 220),
               (200, 200, 40)}
    out = tmp_path / 'results' / 'coarse'
    for img_id in ids:
        img = mmcv.imread(str(root / 'JPEGImages' / f'{img_id}.jpg'))
        pred = mmcv.imread(
            str(out / 'coarse' / f'{img_id}.png'), channel_order='rgb')
        assert pred.shape == img.shape
        assert {tuple(c)
                for c in np.unique(pred.reshape(-1, 3), axis=0)} <= palette
        assert (out / 'semseg' / f'{img_id}.png').is_file()
    metrics = json.loads((out / 'metrics.json').read_text())['metrics']
    for key in ('coarse/mIoU', 'coarse/IoU.person', 'coarse/IoU.indoor',
                'semseg/mIoU', 'normals/mean'):
        assert key in metrics and np.isfinite(metrics[key]), key
    assert 'delta_m' not in metrics
    assert 'no delta_m_reference for coarse' in train_log
