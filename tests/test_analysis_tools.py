"""Smoke tests of the analysis tools and the demo on tiny settings."""
import json
import os.path as osp
import re
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOY_POLY = 'configs/toy/polyhistor_swin-mini_toy-pascal.py'
TOY_MTFT = 'configs/toy/mtft_swin-mini_toy-pascal.py'


def run(args, timeout=600):
    proc = subprocess.run([sys.executable] + args, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc.stdout


def test_benchmark_tool_with_floors():
    out = run(['tools/analysis/benchmark.py', TOY_POLY, TOY_MTFT, '--floor',
               '--size', '64', '--batch', '1', '--iters', '1', '--json'])
    rows = json.loads(out[out.index('['):])
    assert [(osp.basename(r['config']), r['variant']) for r in rows] == [
        (osp.basename(TOY_POLY), 'method'), (osp.basename(TOY_POLY), 'floor'),
        (osp.basename(TOY_POLY), 'floor-fwd'),
        (osp.basename(TOY_MTFT), 'method')
    ]
    for r in rows:
        assert r['train_step_s'] > 0 and r['infer_ms_per_img'] > 0
        assert r['peak_train_mb'] is None or r['peak_train_mb'] > 0
    method, floor = rows[0], rows[1]
    assert method['generate_calls_warm'] == 0  # eval cache: no generation
    assert floor['trainable'] < method['trainable']


def test_checkpoint_size_tool():
    out = run(['tools/analysis/checkpoint_size.py', TOY_POLY])
    sizes = re.findall(r'weights\s+([\d.]+) MiB', out)
    assert len(sizes) == 2 and float(sizes[0]) < float(sizes[1])


@pytest.mark.e2e
def test_demo_runs_and_prints_table(tmp_path):
    out = run(['tools/demo.py', '--iters', '3', '--work-dir',
               str(tmp_path / 'w'), '--data-root', str(tmp_path / 'data')])
    assert 'polyhistor_swin-mini_toy-pascal' in out
    assert 'mtft_swin-mini_toy-pascal' in out
    rows = [l for l in out.splitlines() if l.startswith(('polyhistor', 'mtft'))]
    assert len(rows) == 4
    assert all(len(r.split()) == 8 for r in rows)
