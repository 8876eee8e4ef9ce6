"""Seeing the results: quiet training logs, test panels, the inferencer
(identical to tools/test.py), the image demo, training curves."""
import json
import os
import os.path as osp
import sys

import mmcv
import numpy as np
import pytest
from mmpoly_test_utils import TWO_ITERATIONS, run_tool, toy_options

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PY = sys.executable
TOY_POLY = 'configs/toy/polyhistor_swin-mini_toy-pascal.py'

pytestmark = pytest.mark.e2e


def run(args, check=True):
    return run_tool(args, check=check)


def options(root):
    # test batches of one image, the inferencer's batch
    return toy_options(root, batch_size=1, **TWO_ITERATIONS)


@pytest.fixture(scope='module')
def trained(toy_root, tmp_path_factory):
    """A toy Polyhistor trained 2 iterations, tested with --out and
    --show-dir."""
    tmp = tmp_path_factory.mktemp('seeing')
    work, out, show = (str(tmp / n) for n in ('work', 'out', 'show'))
    proc = run([PY, 'tools/train.py', TOY_POLY, '--work-dir', work] +
               options(toy_root))
    ckpt = osp.join(work, 'iter_2.pth')
    run([
        PY, 'tools/test.py', TOY_POLY, ckpt, '--work-dir', work, '--out', out,
        '--show-dir', show
    ] + options(toy_root))
    ids = open(osp.join(toy_root, 'ImageSets/Context/val.txt')).read().split()
    return dict(
        work=work,
        ckpt=ckpt,
        out=out,
        show=show,
        ids=ids,
        root=toy_root,
        log=proc.stdout + proc.stderr)


def test_training_log_is_quiet(trained):
    lines = trained['log'].splitlines()
    warnings = [line for line in lines if 'WARNING' in line]
    assert len(warnings) < 50, warnings[:60]
    assert not any('requires_grad=False' in line for line in lines)
    summary = [line for line in lines if 'optimizer over' in line]
    assert len(summary) == 1 and 'tuner: Polyhistor' in summary[0]


def test_show_dir_writes_a_panel_per_image(trained):
    for img_id in trained['ids']:
        panel = mmcv.imread(osp.join(trained['show'], f'{img_id}.png'))
        img = mmcv.imread(
            osp.join(trained['root'], 'JPEGImages', f'{img_id}.jpg'))
        # 2 rows (ground truth, prediction) of 5 tiles, enlarged
        assert panel.shape[0] > 2 * img.shape[0]
        assert panel.shape[1] > 5 * img.shape[1]


def test_inferencer_equals_the_test_tool(trained, tmp_path):
    from mmpoly.apis import MultiTaskInferencer
    inferencer = MultiTaskInferencer(TOY_POLY, trained['ckpt'], device='cpu')
    images = [
        osp.join(trained['root'], 'JPEGImages', f'{i}.jpg')
        for i in trained['ids']
    ]
    out = str(tmp_path / 'inf')
    result = inferencer(images, out_dir=out)
    assert len(result['predictions']) == len(images)
    for img_id in trained['ids']:
        for task in ('semseg', 'human_parts', 'sal', 'normals'):
            a = mmcv.imread(
                osp.join(out, 'pred', task, f'{img_id}.png'), 'unchanged')
            b = mmcv.imread(
                osp.join(trained['out'], task, f'{img_id}.png'), 'unchanged')
            np.testing.assert_array_equal(a, b, err_msg=f'{task} {img_id}')
        assert osp.isfile(osp.join(out, 'vis', f'{img_id}.png'))
    # a BGR array gives the same as its file
    array = inferencer(mmcv.imread(images[0]))['predictions']
    for task, pred in result['predictions'][0].items():
        np.testing.assert_array_equal(array[task], pred)


def test_inferencer_runs_only_the_passes_of_its_tasks(trained):
    from mmpoly.apis import MultiTaskInferencer
    inferencer = MultiTaskInferencer(TOY_POLY, trained['ckpt'], device='cpu')
    calls = []
    swin = inferencer.model.backbone.backbone
    swin.register_forward_hook(lambda *a: calls.append(1))
    image = osp.join(trained['root'], 'JPEGImages', f'{trained["ids"][0]}.jpg')
    pred = inferencer(image, tasks=['normals', 'sal'])['predictions']
    assert sorted(pred) == ['normals', 'sal'] and len(calls) == 2
    calls.clear()
    inferencer(image)
    assert len(calls) == 4  # Polyhistor: one pass per task
    with pytest.raises(ValueError, match='subset'):
        inferencer(image, tasks=['depth'])


def test_image_demo_on_a_photograph(trained, tmp_path):
    import skimage
    photo = osp.join(osp.dirname(skimage.__file__), 'data', 'chelsea.png')
    panel = str(tmp_path / 'panel.png')
    proc = run([
        PY, 'demo/image_demo.py', photo, TOY_POLY, trained['ckpt'],
        '--out-file', panel, '--device', 'cpu', '--tasks', 'semseg', 'normals'
    ])
    assert 'semseg (1, 300, 451)' in proc.stdout
    picture = mmcv.imread(panel)
    assert picture.shape[0] > 300 and picture.shape[1] > 3 * 451  # 3 tiles


def test_plot_curve(trained, tmp_path):
    logs = [
        osp.join(root, 'vis_data', 'scalars.json')
        for root, _, files in os.walk(trained['work'])
        if 'vis_data' in os.listdir(root)
        and osp.isfile(osp.join(root, 'vis_data', 'scalars.json'))
    ]
    logs = [p for p in logs if '"loss"' in open(p).read()]
    assert logs
    out = str(tmp_path / 'curve.png')
    run([
        PY, 'tools/analysis/analyze_logs.py', 'plot_curve', logs[0], '--keys',
        'loss', 'semseg/mIoU', '--out', out
    ])
    assert mmcv.imread(out).shape[0] > 300
    proc = run([
        PY, 'tools/analysis/analyze_logs.py', 'plot_curve', logs[0], '--keys',
        'no_such_key', '--out', out
    ],
               check=False)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert "no_such_key" in last and "'loss'" in last
    json.loads(open(logs[0]).readline())  # the logs are MMEngine's
