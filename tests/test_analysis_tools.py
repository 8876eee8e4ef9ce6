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
    proc = subprocess.run(
        [sys.executable] + args,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc.stdout


def test_benchmark_tool_with_floors():
    out = run([
        'tools/analysis/benchmark.py', TOY_POLY, TOY_MTFT, '--floor', '--size',
        '64', '--batch', '1', '--iters', '1', '--json'
    ])
    result = json.loads(out)
    rows = result['rows']
    assert [(osp.basename(r['config']), r['variant'])
            for r in rows] == [(osp.basename(TOY_POLY), 'method'),
                               (osp.basename(TOY_POLY), 'floor'),
                               (osp.basename(TOY_POLY), 'floor-fwd'),
                               (osp.basename(TOY_MTFT), 'method')]
    for r in rows:
        assert r['train_step_s'] > 0 and r['infer_ms_per_img'] > 0
        assert r['peak_train_mb'] is None or r['peak_train_mb'] > 0
    method, floor = rows[0], rows[1]
    assert method['generate_calls_warm'] == 0  # eval cache: no generation
    assert floor['trainable'] < method['trainable']
    # the method's step as a multiple of its floors', from the same rows
    (ratios, ) = result['floor_ratios']
    assert ratios['vs_floor'] == pytest.approx(method['train_step_s'] /
                                               floor['train_step_s'])
    assert ratios['vs_floor_fwd'] == pytest.approx(method['train_step_s'] /
                                                   rows[2]['train_step_s'])


def test_checkpoint_size_tool():
    out = run(['tools/analysis/checkpoint_size.py', TOY_POLY])
    sizes = re.findall(r'weights\s+([\d.]+) MiB', out)
    assert len(sizes) == 2 and float(sizes[0]) < float(sizes[1])


@pytest.mark.e2e
def test_demo_runs_and_prints_table(tmp_path):
    out = run([
        'tools/demo.py', '--iters', '3', '--work-dir',
        str(tmp_path / 'w'), '--data-root',
        str(tmp_path / 'data')
    ])
    assert 'polyhistor_swin-mini_toy-pascal' in out
    assert 'mtft_swin-mini_toy-pascal' in out
    rows = [
        row for row in out.splitlines()
        if row.startswith(('polyhistor', 'mtft'))
    ]
    assert len(rows) == 4
    assert all(len(r.split()) == 8 for r in rows)


def test_benchmark_table_reads_results(tmp_path):
    results = tmp_path / 'results'

    def write(stem, metrics):
        (results / stem).mkdir(parents=True)
        (results / stem / 'metrics.json').write_text(
            json.dumps(dict(metrics=metrics)))

    write(
        'polyhistor_swin-t_pascal-context', {
            'semseg/mIoU': 70.0,
            'human_parts/mIoU': 60.0,
            'sal/mIoU': 65.0,
            'normals/mean': 17.5,
            'delta_m': 1.5
        })
    refs = dict(
        semseg=('mIoU', 67.21),
        parts=('mIoU', 61.93),
        sal=('mIoU', 62.35),
        normals=('mean', 17.97))
    tasks = dict(
        semseg='semseg', parts='human_parts', sal='sal', normals='normals')
    for short, (metric, value) in refs.items():
        write(f'stft-{short}_swin-t_pascal-context', {
            f'{tasks[short]}/{metric}': value,
            'delta_m': 99.0
        })
    out = run([
        'tools/analysis/benchmark_table.py', '--results',
        str(results), '--no-flops', '--methods', 'stft', 'hyperformer', 'lora',
        'polyhistor'
    ])
    rows = {
        line.split('|')[1].strip(): [c.strip() for c in line.split('|')[2:-1]]
        for line in out.splitlines() if line.startswith('| ')
    }
    assert rows['**Polyhistor**'] == [
        '8,960,352', '8.96 M', '70.00', '60.00', '65.00', '17.50', '+1.50'
    ]
    # single-task row: sum of the four models, Δm of the references = 0
    assert rows['Single-task full fine-tuning'][:2] == [
        '112,620,296', '112.62 M'
    ]
    assert rows['Single-task full fine-tuning'][-1] == '+0.00'
    assert rows['Hyperformer'][0] == '73,770,288'
    assert rows['LoRA'][2:] == ['—'] * 5


def test_benchmark_table_nyud(tmp_path):
    results = tmp_path / 'results'
    (results / 'polyhistor_swin-t_nyud').mkdir(parents=True)
    (results / 'polyhistor_swin-t_nyud' / 'metrics.json').write_text(
        json.dumps(
            dict(
                metrics={
                    'semseg/mIoU': 40.0,
                    'depth/rmse': 0.6,
                    'normals/mean': 20.5,
                    'edge/odsF': 70.25
                })))
    out = run([
        'tools/analysis/benchmark_table.py', '--dataset', 'nyud', '--results',
        str(results), '--flops-shape', '32', '32', '--methods', 'stft', 'mtft',
        'ia3', 'polyhistor'
    ])
    assert '| method (SWIN-T, NYUD-v2) |' in out and 'depth RMSE' in out
    assert 'GFLOPs (32²)' in out
    rows = {
        line.split('|')[1].strip(): [c.strip() for c in line.split('|')[2:-1]]
        for line in out.splitlines() if line.startswith('| ')
    }
    # the four heads have 45 instead of 32 outputs: 257 x 13 more
    # parameters than on PASCAL-Context
    poly = rows['**Polyhistor**']
    assert poly[:2] + poly[3:] == [
        '8,963,693', '—', '40.00', '0.60', '20.50', '70.25', '—'
    ]
    single, mtft = rows['Single-task full fine-tuning'], rows[
        'Multi-task full fine-tuning']
    assert single[0] == '112,623,637'
    # four single-task models cost about four multi-task backbone passes
    assert float(single[2]) > 2 * float(mtft[2]) > 0
    assert float(poly[2]) > float(mtft[2])  # one backbone pass per task
    assert len(rows) == 5  # header + the four chosen rows, in order
    assert rows['IA³ (added)'][0] == '2,658,349'


def test_benchmark_table_of_the_mtlora_protocol():
    out = run([
        'tools/analysis/benchmark_table.py', '--protocol', 'mtlora',
        '--methods', 'decoder-only', 'mtlora-r16', 'mtlora', 'ditask',
        '--no-flops', '--reported'
    ])
    assert '| method (SWIN-T, PASCAL-Context, MTLoRA protocol) |' in out
    rows = {
        line.split('|')[1].strip(): [c.strip() for c in line.split('|')[2:-1]]
        for line in out.splitlines() if line.startswith('| ')
    }
    # total, backbone side, printed count: DiTASK's paper counts the
    # backbone side only
    assert rows['Decoders only'][:3] == ['1,946,624', '0', '—']
    assert rows['MTLoRA r=16'][:3] == ['4,953,146', '3,006,522', '4.95 M']
    assert rows['DiTASK'][:3] == ['3,549,338', '1,602,714', '1.61 M (e)']
    # (the reported table's row, printed after the counts)
    assert rows['MTLoRA r=64'] == ['67.90', '59.84', '65.40', '16.60', '+2.55']
    bad = subprocess.run([
        sys.executable, 'tools/analysis/benchmark_table.py', '--protocol',
        'mtlora', '--methods', 'vmt-adapter'
    ],
                         cwd=REPO,
                         capture_output=True,
                         text=True,
                         timeout=600)
    assert bad.returncode != 0
    assert "error: --methods: ['vmt-adapter']" in bad.stderr
