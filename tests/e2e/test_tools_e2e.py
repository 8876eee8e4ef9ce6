"""End to end through the real tools and MMEngine's Runner on generated data:
train -> checkpoint -> resume -> test --out, 2-process gloo, bad data root."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import mmcv
import numpy as np
import pytest
from mmpoly_test_utils import free_port, run_tool, toy_data, toy_options

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PY = sys.executable
TOY_MTFT = 'configs/toy/mtft_swin-mini_toy-pascal.py'
TOY_POLY = 'configs/toy/polyhistor_swin-mini_toy-pascal.py'

pytestmark = pytest.mark.e2e

AMP_SEED = 0
#: How far bfloat16 inference metrics may be from the float32 ones of the
#: same toy checkpoint (points; degrees for normals). Measured |difference|
#: over seeds 0-2 (this test with randomness.seed changed): at most 0.003,
#: 0.12, 0.12, 0.18, 0.17 and 0.24 in this order; about 4x that.
AMP_METRIC_TOLERANCE = {
    'semseg/mIoU': 0.5,
    'human_parts/mIoU': 0.5,
    'sal/mIoU': 0.5,
    'sal/maxF': 0.75,
    'normals/mean': 0.75,
    'delta_m': 1.0,
}


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    # 5 val images: an odd count, so 2 processes need a padded sampler
    return toy_data(tmp_path_factory, 'toy_e2e', num_val=5, seed=1)


def options(data_root, **extra):
    return toy_options(data_root, batch_size=2, **extra)


def run(args, env=None, check=True):
    return run_tool(args, env=env, check=check)


@pytest.mark.parametrize('config', [TOY_MTFT, TOY_POLY])
def test_train_checkpoint_resume_test(tmp_path, data_root, config,
                                      file_backends):
    work = str(tmp_path / 'work')
    run([PY, 'tools/train.py', config, '--work-dir', work] + options(
        data_root, **{
            'train_cfg.max_iters': 4,
            'train_cfg.val_interval': 4,
            'default_hooks.checkpoint.interval': 2
        }))
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    assert osp.isfile(osp.join(work, 'iter_4.pth'))
    if config == TOY_POLY:  # adapter-only checkpoints
        from mmengine.runner.checkpoint import CheckpointLoader
        ckpt = CheckpointLoader.load_checkpoint(
            osp.join(work, 'iter_4.pth'), 'cpu')
        keys = list(ckpt['state_dict'])
        assert 'backbone.frozen_fingerprint' in keys
        assert not any(k.startswith('backbone.backbone.') for k in keys)
        assert any(k.startswith('backbone.tuner.') for k in keys)

    proc = run([PY, 'tools/train.py', config, '--work-dir', work, '--resume'] +
               options(
                   data_root, **{
                       'train_cfg.max_iters': 6,
                       'train_cfg.val_interval': 6,
                       'default_hooks.checkpoint.interval': 2
                   }))
    log = proc.stdout + proc.stderr
    assert re.search(r'resumed epoch: \d+, iter: 4', log), log[-3000:]
    assert 'Iter(train) [5/6]' in log and 'Iter(train) [1/6]' not in log
    assert osp.isfile(osp.join(work, 'iter_6.pth'))

    out = str(tmp_path / 'out')
    run([
        PY, 'tools/test.py', config,
        osp.join(work, 'iter_6.pth'), '--work-dir', work, '--out', out
    ] + options(data_root))
    with open(osp.join(out, 'metrics.json')) as f:
        metrics = json.load(f)['metrics']
    for key in ('semseg/mIoU', 'human_parts/mIoU', 'sal/mIoU', 'sal/maxF',
                'normals/mean', 'normals/median', 'normals/rmse',
                'normals/11.25', 'normals/22.5', 'normals/30', 'delta_m'):
        assert key in metrics and np.isfinite(metrics[key]), key
    ids = open(osp.join(data_root, 'ImageSets/Context/val.txt')).read().split()
    for img_id in ids:
        img = mmcv.imread(osp.join(data_root, 'JPEGImages', img_id + '.jpg'))
        sem = mmcv.imread(
            osp.join(out, 'semseg', img_id + '.png'), 'unchanged')
        parts = mmcv.imread(
            osp.join(out, 'human_parts', img_id + '.png'), 'unchanged')
        sal = mmcv.imread(osp.join(out, 'sal', img_id + '.png'), 'unchanged')
        nrm = mmcv.imread(
            osp.join(out, 'normals', img_id + '.png'), 'unchanged')
        assert sem.shape == img.shape[:2] and sem.max() < 21
        assert parts.shape == img.shape[:2] and parts.max() < 7
        assert sal.shape == img.shape[:2] and sal.dtype == np.uint8
        assert nrm.shape == img.shape and nrm.dtype == np.uint8
        n = 2.0 * nrm[..., ::-1].astype(np.float64) / 255.0 - 1.0
        assert np.allclose(np.linalg.norm(n, axis=2), 1.0, atol=0.02)


def before_and_after_training(config, data_root, tmp_path, iters=80):
    """Metrics of the untrained and the trained model of ``config``, on the
    training images (the question is whether it learns)."""
    from mmengine.config import Config

    from mmpoly.engine import MultiTaskRunner as Runner
    cfg = Config.fromfile(osp.join(REPO, config))
    for phase in ('train', 'val', 'test'):
        cfg[f'{phase}_dataloader'].dataset.data_root = data_root
        cfg[f'{phase}_dataloader'].num_workers = 0
        cfg[f'{phase}_dataloader'].persistent_workers = False
    cfg.test_dataloader.dataset.split = 'train'
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = 1000
    cfg.param_scheduler[-1].end = iters
    cfg.work_dir = str(tmp_path)
    cfg.log_level = 'WARNING'
    name = osp.basename(config)
    cfg.visualizer.name = f'before_{name}'
    before = Runner.from_cfg(cfg.copy()).test()
    cfg.visualizer.name = f'after_{name}'
    runner = Runner.from_cfg(cfg.copy())
    runner.train()
    return cfg, before, runner.test()


@pytest.mark.parametrize('config', [TOY_POLY])
def test_training_beats_untrained(tmp_path, data_root, config):
    """The toy configs learn: after training, semseg / sal / normals are
    clearly better than the untrained model on the same data (multi-task
    full fine-tuning: ``test_five_tasks_beat_untrained_on_every_task``, the
    same model with one task more)."""
    _, before, after = before_and_after_training(config, data_root, tmp_path)
    assert after['semseg/mIoU'] > before['semseg/mIoU'] + 5
    assert after['sal/mIoU'] > before['sal/mIoU'] + 5
    assert after['normals/mean'] < before['normals/mean'] - 3
    assert after['delta_m'] > before['delta_m'] + 10


def test_five_tasks_beat_untrained_on_every_task(tmp_path, data_root):
    """The toy five-task config (the four tasks + edge) learns every task:
    each primary metric moves the right way, by a clear margin."""
    from mmpoly.tasks import build_tasks
    cfg, before, after = before_and_after_training(
        'configs/toy/mtft_5tasks_swin-mini_toy-pascal.py', data_root, tmp_path)
    tasks = build_tasks(cfg.tasks)
    assert tasks.names == ('semseg', 'human_parts', 'sal', 'normals', 'edge')
    for name, task in tasks.items():
        key = f'{name}/{task.primary_metric}'
        gain = after[key] - before[key]
        if not task.higher_is_better:
            gain = -gain
        assert gain > 3, (key, before[key], after[key])
    assert 'delta_m' not in after  # no edge reference: Δm is not computed


@pytest.fixture(scope='module')
def nyud_root(tmp_path_factory):
    from mmpoly.testing import generate_toy_nyud_mt
    root = str(tmp_path_factory.mktemp('toy_nyud'))
    generate_toy_nyud_mt(
        root,
        'nyud_mt',
        num_train=8,
        num_val=4,
        size=64,
        seed=1,
        overwrite=True)
    return root


def test_toy_nyud_polyhistor_beats_untrained_on_every_task(
        tmp_path, nyud_root):
    """semseg mIoU, depth RMSE, normals mean error and edge ODS-F all move
    the right way after a short toy run of Polyhistor on NYUD."""
    from mmpoly.tasks import build_tasks
    cfg, before, after = before_and_after_training(
        'configs/toy/polyhistor_swin-mini_toy-nyud.py', nyud_root, tmp_path)
    tasks = build_tasks(cfg.tasks)
    assert tasks.names == ('semseg', 'depth', 'normals', 'edge')
    for name, task in tasks.items():
        key = f'{name}/{task.primary_metric}'
        gain = after[key] - before[key]
        if not task.higher_is_better:
            gain = -gain
        assert gain > 0.05 * abs(before[key]), (key, before[key], after[key])
    assert 'delta_m' not in after  # no NYUD references: not computed


def test_real_nyud_config_without_data_stops_at_once(tmp_path):
    missing = str(tmp_path / 'NYUD_MT')
    proc = run([
        PY, 'tools/train.py', 'configs/nyud/polyhistor_swin-t_nyud.py',
        '--work-dir',
        str(tmp_path / 'w'), '--cfg-options',
        f'train_dataloader.dataset.data_root={missing}',
        f'val_dataloader.dataset.data_root={missing}'
    ],
               check=False)
    assert proc.returncode == 1
    assert missing in proc.stderr and 'gt_sets' in proc.stderr
    assert 'nyud_mt' in proc.stderr and 'Traceback' not in proc.stderr
    assert not osp.exists(str(tmp_path / 'w'))  # nothing was built


def test_two_process_gloo_train_and_test(tmp_path, data_root):
    work = str(tmp_path / 'dist')
    env = dict(PYTHON=PY, PORT=str(free_port()))
    run(['bash', 'tools/dist_train.sh', TOY_MTFT, '2', '--work-dir', work] +
        options(
            data_root, **{
                'train_cfg.max_iters': 2,
                'train_cfg.val_interval': 2,
                'default_hooks.checkpoint.interval': 2
            }),
        env=env)
    ckpt = osp.join(work, 'iter_2.pth')
    assert osp.isfile(ckpt)
    out1, out2 = str(tmp_path / 'one'), str(tmp_path / 'two')
    # one image per batch: a prediction must not depend on its batch-mates'
    # padding, so 1 and 2 processes see identical inputs
    # and one thread each (torchrun's default), so float32 reductions run in
    # the same order
    single = {'test_dataloader.batch_size': 1}
    run([
        PY, 'tools/test.py', TOY_MTFT, ckpt, '--work-dir', work, '--out', out1
    ] + options(data_root, **single),
        env=dict(OMP_NUM_THREADS='1'))
    run([
        'bash', 'tools/dist_test.sh', TOY_MTFT, ckpt, '2', '--work-dir', work,
        '--out', out2
    ] + options(data_root, **single),
        env=env)
    m1 = json.load(open(osp.join(out1, 'metrics.json')))['metrics']
    m2 = json.load(open(osp.join(out2, 'metrics.json')))['metrics']
    assert m1.keys() == m2.keys()
    for key in m1:
        assert m1[key] == pytest.approx(m2[key], rel=1e-9, abs=1e-9), key


@pytest.mark.parametrize('option,words', [
    (['tasks.semseg.type=SegmentationTsk'
      ], ['tasks.semseg', "'SegmentationTsk'", 'SegmentationTask']),
    (['tasks.depth.type=DepthTask'
      ], ["cannot load task 'depth'", 'tasks.depth.ann_dir']),
    (['model.decode_heads.semseg.num_classes=20'
      ], ["task 'semseg'", 'num_classes=20', '21']),
    (['tasks.semseg.delta_m_reference=None', 'val_evaluator.delta_m=True'
      ], ['val_evaluator.delta_m=True', 'tasks.semseg.delta_m_reference']),
    (['tasks.semseg.type=DepthTask'
      ], ['tasks.semseg', "DepthTask has no argument 'num_classes'"]),
])
def test_bad_task_configs_end_in_one_line(tmp_path, data_root, option, words):
    proc = run(
        [PY, 'tools/train.py', TOY_MTFT, '--work-dir',
         str(tmp_path / 'w')] + options(data_root) + option,
        check=False)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('error: ') and 'Traceback' not in proc.stderr
    for w in words:
        assert w in last, (w, last)


def test_debug_shows_the_traceback(tmp_path, data_root):
    proc = run(
        [
            PY, 'tools/train.py', TOY_MTFT, '--debug', '--work-dir',
            str(tmp_path / 'w')
        ] + options(data_root) + ['tasks.semseg.type=SegmentationTsk'],
        check=False)
    assert proc.returncode != 0 and 'Traceback' in proc.stderr
    assert "unknown task type 'SegmentationTsk'" in proc.stderr


def test_missing_data_root_fails_early(tmp_path):
    missing = str(tmp_path / 'no_such_root')
    proc = run(
        [PY, 'tools/train.py', TOY_MTFT, '--work-dir',
         str(tmp_path / 'w')] + options(missing),
        check=False)
    assert proc.returncode != 0
    err = proc.stderr
    assert missing in err and 'JPEGImages' in err and 'Expected layout' in err
    assert 'Traceback' not in err
    assert not osp.exists(osp.join(str(tmp_path / 'w'), 'iter_1.pth'))


def test_launchers_find_the_repository_environment():
    """Without PYTHON the launchers use the repository's .venv (as set up by
    `make demo` / `make test`), not whatever `python` PATH finds first."""

    def launcher_python(extra_env):
        env = {k: v for k, v in os.environ.items() if k != 'PYTHON'}
        env.update(extra_env, PATH='/usr/bin:/bin')
        proc = subprocess.run(
            ['bash', '-c', 'source tools/launchers/python.sh; echo $PYTHON'],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True)
        return proc.stdout.strip()

    venv = osp.join(REPO, '.venv', 'bin', 'python')
    expected = venv if os.access(venv, os.X_OK) else 'python'
    assert launcher_python({}) == expected
    assert launcher_python({'PYTHON': '/opt/py'}) == '/opt/py'


def test_amp_train_resume_and_test(tmp_path, data_root, file_backends):
    """``--amp`` through the tools on a CPU. Training in float16, so that
    the loss scaler has a state (dynamic from 256, doubled after every
    good step): the checkpoint holds it and ``--resume`` restores it.
    ``tools/test.py --amp`` (bfloat16) then gives metrics within
    :data:`AMP_METRIC_TOLERANCE` of the float32 validation of the same
    checkpoint, and not identical ones (autocast did run)."""
    from mmengine.runner.checkpoint import CheckpointLoader
    work = str(tmp_path / 'work')
    fp16 = {
        'optim_wrapper.dtype': 'float16',
        'optim_wrapper.loss_scale.init_scale': 256.0,
        'optim_wrapper.loss_scale.growth_interval': 1,
        'default_hooks.checkpoint.interval': 2,
        'train_cfg.val_begin': 3,  # validate once, at the end
        'randomness.seed': AMP_SEED,
    }
    proc = run([PY, 'tools/train.py', TOY_POLY, '--amp', '--work-dir', work] +
               options(data_root, **fp16, **{'train_cfg.max_iters': 2}))
    assert ('mixed precision: float16 autocast on cpu, loss scale 256 '
            '(dynamic)') in proc.stdout + proc.stderr
    scaler = CheckpointLoader.load_checkpoint(
        osp.join(work, 'iter_2.pth'), 'cpu')['optimizer']['loss_scaler']

    proc = run([
        PY, 'tools/train.py', TOY_POLY, '--amp', '--resume', '--work-dir', work
    ] + options(data_root, **fp16, **{'train_cfg.max_iters': 3}))
    log = proc.stdout + proc.stderr
    assert f'loss scale {scaler["scale"]:g} restored' in log, log[-3000:]
    resumed = CheckpointLoader.load_checkpoint(
        osp.join(work, 'iter_3.pth'), 'cpu')['optimizer']['loss_scaler']
    # one more step from the restored scale: doubled, or halved on overflow
    assert resumed['scale'] in (2 * scaler['scale'], scaler['scale'] / 2)
    val_line = [
        line for line in log.splitlines()
        if 'Iter(val) [' in line and 'delta_m:' in line
    ][-1]
    fp32 = {k: float(v) for k, v in re.findall(r'(\S+): (-?[\d.]+)', val_line)}

    out = str(tmp_path / 'out')
    run([
        PY, 'tools/test.py', TOY_POLY,
        osp.join(work, 'iter_3.pth'), '--amp', '--work-dir', work, '--out', out
    ] + options(data_root, **{'randomness.seed': AMP_SEED}))  # its backbone
    amp = json.load(open(osp.join(out, 'metrics.json')))['metrics']
    diffs = {k: abs(amp[k] - fp32[k]) for k in AMP_METRIC_TOLERANCE}
    print('AMP metric differences', diffs)
    for key, tolerance in AMP_METRIC_TOLERANCE.items():
        assert diffs[key] <= tolerance, (key, amp[key], fp32[key])
    assert any(d > 1e-4 for d in diffs.values())  # bfloat16 did run
