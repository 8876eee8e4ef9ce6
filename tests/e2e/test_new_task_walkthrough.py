"""README "Adding a new task", step by step, exactly as written there.

The files the README shows must be the files in tests/new_task_example/,
and its commands are run as they stand, with two changes for time: the
schedule is cut to a few iterations (``--cfg-options``) and the test step
loads that iteration's checkpoint instead of ``iter_400.pth``.
"""
import json
import os
import os.path as osp
import re
import shlex
import subprocess
import sys

import mmcv
import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ITERS = 4
FAST = [
    '--cfg-options', f'train_cfg.max_iters={ITERS}',
    f'train_cfg.val_interval={ITERS}',
    f'default_hooks.checkpoint.interval={ITERS}'
] + [
    f'{phase}_dataloader.{key}' for phase in ('train', 'val', 'test')
    for key in ('num_workers=0', 'persistent_workers=False')
]

pytestmark = pytest.mark.e2e


def readme_section():
    text = open(osp.join(REPO, 'README.md')).read()
    start = text.index('## Adding a new task')
    return text[start:text.index('\n## ', start + 1)]


def test_readme_shows_the_example_files():
    section = readme_section()
    shown = re.findall(
        r'<!-- walkthrough-file: (\S+) -->\n```python\n(.*?)```', section,
        re.S)
    assert len(shown) == 2
    for path, code in shown:
        assert open(osp.join(REPO, path)).read() == code, path


def readme_commands():
    block = re.search(r'<!-- walkthrough-commands -->\n```bash\n(.*?)```',
                      readme_section(), re.S).group(1)
    return [
        shlex.split(line, comments=True)
        for line in block.replace('\\\n', ' ').splitlines() if line.strip()
    ]


def test_walkthrough(tmp_path):
    for name in ('tools', 'configs', 'tests'):
        os.symlink(osp.join(REPO, name), tmp_path / name)
    env = dict(os.environ)
    train_log = ''
    for argv in readme_commands():
        if argv[0] == 'export':
            key, value = argv[1].split('=', 1)
            env[key] = value
            continue
        assert argv[0] == 'python', argv
        argv = [sys.executable] + argv[1:]
        if argv[1] in ('tools/train.py', 'tools/test.py'):
            argv = [
                a.replace('iter_400.pth', f'iter_{ITERS}.pth') for a in argv
            ] + FAST
        proc = subprocess.run(
            argv,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=900)
        assert proc.returncode == 0, (argv, proc.stdout[-3000:],
                                      proc.stderr[-5000:])
        if argv[1] == 'tools/train.py':
            train_log = proc.stdout + proc.stderr

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
