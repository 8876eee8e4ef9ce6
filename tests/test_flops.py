"""FLOPs: per-task backbone passes are all counted."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.analysis import FlopAnalyzer
from mmpoly_test_utils import mini_swin, segmentor_cfg, small_tuner
from mmseg.registry import MODELS

from mmpoly.utils import build_model_offline, load_config, strip_pretrained
from mmpoly.models.tuners.layers import KroneckerFactors
from mmpoly.utils.flops import count_flops

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _swin_pass_flops(swin, shape):
    """FLOPs of one pass of a Swin alone (no tuner attached)."""
    x = torch.zeros(1, 3, *shape)
    with torch.no_grad():
        fa = FlopAnalyzer(swin, (x, ))
        fa.unsupported_ops_warnings(False)
        fa.uncalled_modules_warnings(False)
        return fa.total()


def _model(tuner=None):
    torch.manual_seed(0)
    backbone = dict(type='PEFTBackbone', backbone=mini_swin())
    if tuner is not None:
        backbone['tuner'] = tuner
    return MODELS.build(segmentor_cfg(backbone))


def test_per_task_passes_count_the_frozen_backbone_t_times():
    shape = (64, 64)
    shared = count_flops(_model(), shape)  # decoders only: one pass
    floor = count_flops(_model(dict(type='PerTaskPass')), shape)
    single = _swin_pass_flops(_model().backbone.backbone, shape)
    assert shared['passes'] == 1 and floor['passes'] == 4
    # both apply 4 tasks' output norms; only the floor runs Swin 4 times
    assert floor['backbone'] - shared['backbone'] == 3 * single
    assert floor['heads'] == shared['heads']
    poly = count_flops(_model(small_tuner()), shape)
    assert poly['passes'] == 4 and poly['backbone'] > floor['backbone']
    # a subset: one task, one pass
    one = count_flops(_model(small_tuner()), shape, tasks=['sal'])
    assert one['passes'] == 1 and list(one['heads']) == ['sal']
    assert one['backbone'] < poly['backbone'] / 3


def test_polyhistor_swin_t_at_448():
    """The figure of the closing note: Polyhistor Swin-T, 448 x 448."""
    config = osp.join(REPO, 'configs/polyhistor_swin-t.py')
    model = build_model_offline(config)
    f = count_flops(model, (448, 448))
    swin_cfg = strip_pretrained(load_config(config).model.backbone.backbone)
    single = _swin_pass_flops(MODELS.build(swin_cfg), (448, 448))
    assert f['passes'] == 4
    assert 4 * single < f['backbone'] < 4.2 * single  # + adapters
    assert f['total'] == pytest.approx(
        f['backbone'] + sum(f['heads'].values()), rel=0.01)
    print(f'Polyhistor Swin-T 448x448: {f["total"] / 1e9:.2f} GFLOPs '
          f'(backbone {f["backbone"] / 1e9:.2f}, one frozen pass '
          f'{single / 1e9:.2f})')


def test_get_flops_tool():
    proc = subprocess.run([
        sys.executable, 'tools/analysis/get_flops.py',
        'configs/toy/polyhistor_swin-mini_toy-nyud.py', '--shape', '64', '64',
        '--tasks', 'depth', 'edge'
    ],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert 'all 2 tasks' in lines[1] and 'backbone (2 passes)' in lines[2]
    assert [line.split()[1] for line in lines[3:]] == ['depth', 'edge']


def test_get_flops_tool_breakdown_and_floor():
    proc = subprocess.run([
        sys.executable, 'tools/analysis/get_flops.py',
        'configs/toy/polyhistor_swin-mini_toy-nyud.py', '--shape', '64', '64',
        '--breakdown', '--floor'
    ],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for part in ('by operator:', 'linear', 'backbone blocks by stage',
                 'per-task-pass floor:', 'what the method adds, by stage'):
        assert part in out, out
    assert sum(line.strip().startswith('stage ')
               for line in out.splitlines()) == 8


def _matrix_macs(weight) -> int:
    """Multiply-adds per token of applying one generated adapter matrix in
    the form the method keeps it (assembled, ``(L, R)`` or Kronecker
    factors)."""
    if isinstance(weight, KroneckerFactors):
        return weight.macs_per_token()[0]
    if isinstance(weight, tuple):
        left, right = weight
        return left.shape[-1] * (left.shape[-2] + right.shape[-1])
    return weight.numel()


@pytest.mark.parametrize('kind', ['Polyhistor', 'PolyhistorLite'])
def test_breakdown_by_stage_is_the_adapters_multiply_adds(kind):
    """get_flops --breakdown --floor: per stage, what a method adds to its
    per-task-pass floor is its adapters' matrices times the tokens (biases
    and activations are not multiply-adds); per operator, the total."""
    shape = (64, 64)
    model = _model(small_tuner(kind, rank=2))
    f = count_flops(model, shape)
    floor = count_flops(_model(dict(type='PerTaskPass')), shape)
    assert sum(f['operators'].values()) == f['total']
    assert len(f['stages']) == len(floor['stages']) == 4
    assert sum(f['stages']) < f['backbone']  # patch embedding, merging
    tuner = model.backbone.tuner
    expected = [0] * 4
    with torch.no_grad():
        for task in tuner.tasks:
            for (stage, _, _), w in tuner.generate(task).items():
                tokens = (shape[0] // 4 >> stage) * (shape[1] // 4 >> stage)
                expected[stage] += tokens * (
                    _matrix_macs(w.down) + _matrix_macs(w.up))
    added = [ours - base for ours, base in zip(f['stages'], floor['stages'])]
    assert added == expected
    if kind == 'PolyhistorLite':  # factored where cheaper than assembled
        assert any(
            isinstance(w.down, KroneckerFactors)
            for w in tuner.generate(tuner.tasks[0]).values())
