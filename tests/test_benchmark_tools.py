"""The benchmark's modes (precision, passes, with_cp) and their ratios, the
data-loading throughput tool and the GPU check script, on tiny settings."""
import glob
import json
import os.path as osp
import runpy
import subprocess
import sys
from unittest import mock

import pytest
import torch

from mmpoly.utils.benchmark import (BenchmarkMode, check_device,
                                    check_mode_fits, check_precision, measure)
from mmpoly.utils.benchmark_ratios import floor_ratios, mode_ratios
from mmpoly.utils.data_throughput import (build_dataset, time_pipeline,
                                          train_loader_config, workers_needed)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOY_POLY = 'configs/toy/polyhistor_swin-mini_toy-pascal.py'
TOY_MTFT = 'configs/toy/mtft_swin-mini_toy-pascal.py'
TOY_MTLORA = 'configs/toy/mtlora-protocol/mtlora_swin-mini_toy-pascal.py'
TOY_MONA_SHARED = 'configs/toy/mona-shared_swin-mini_toy-pascal.py'
TOY_VIT = 'configs/toy/polyhistor_vit-mini_toy-pascal.py'


def run(cmd, check=True):
    proc = subprocess.run(
        cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


def row(step,
        infer,
        peak,
        precision='fp32',
        passes='sequential',
        with_cp=False,
        variant='method'):
    return dict(
        config='c.py',
        variant=variant,
        precision=precision,
        passes=passes,
        with_cp=with_cp,
        train_step_s=step,
        infer_ms_per_img=infer,
        peak_train_mb=peak,
        step_mem_mb=peak / 2)


def test_mode_ratios_compare_rows_differing_in_one_setting():
    rows = [
        row(4.0, 100.0, 1000.0),
        row(2.0, 40.0, 800.0, precision='bf16'),
        row(3.0, 80.0, 3000.0, passes='batched'),
        row(1.0, 20.0, 2000.0, precision='bf16', passes='batched'),
        row(5.0, 100.0, 500.0, with_cp=True),
    ]
    refs = dict(precision='fp32', passes='sequential', with_cp=False)
    got = {(r['change'], r['at']): r for r in mode_ratios(rows, refs)}
    assert set(got) == {
        ('bf16 vs fp32', 'sequential with_cp off'),
        ('batched vs sequential', 'fp32 with_cp off'),
        ('bf16 vs fp32', 'batched with_cp off'),
        ('batched vs sequential', 'bf16 with_cp off'),
        ('with_cp on vs off', 'fp32 sequential'),
    }  # bf16-batched is not compared with fp32-sequential (two changes)
    bf16 = got['bf16 vs fp32', 'sequential with_cp off']
    assert (bf16['step_speedup'], bf16['infer_speedup'],
            bf16['peak_ratio']) == (2.0, 2.5, 0.8)
    batched = got['batched vs sequential', 'bf16 with_cp off']
    assert (batched['step_speedup'], batched['peak_ratio'],
            batched['step_mem_ratio']) == (2.0, 2.5, 2.5)
    cp = got['with_cp on vs off', 'fp32 sequential']
    assert (cp['step_speedup'], cp['peak_ratio']) == (0.8, 0.5)


def test_floor_ratios_per_mode():
    rows = [
        row(3.3, 1, 1),
        row(3.0, 1, 1, variant='floor'),
        row(1.5, 1, 1, variant='floor-fwd'),
        row(2.0, 1, 1, precision='bf16'),
        row(1.0, 1, 1, precision='bf16', variant='floor'),
    ]
    fp32, bf16 = floor_ratios(rows)
    assert fp32['vs_floor'] == pytest.approx(1.1)
    assert fp32['vs_floor_fwd'] == pytest.approx(2.2)
    assert (bf16['at'], bf16['vs_floor'], bf16['vs_floor_fwd']) == \
        ('bf16 sequential with_cp off', 2.0, None)


def test_impossible_modes_are_refused_in_one_line():
    check_mode_fits(TOY_POLY, BenchmarkMode('bf16', 'batched', True))
    for config, words in ((TOY_MTFT, 'needs a PEFTBackbone'),
                          (TOY_MTLORA, 'run mode task_streams'),
                          (TOY_MONA_SHARED, 'run mode shared')):
        with pytest.raises(ValueError, match=words) as e:
            check_mode_fits(config, BenchmarkMode(passes='batched'))
        assert '\n' not in str(e.value) and config in str(e.value)
    with pytest.raises(ValueError, match='VisionTransformer takes no with_cp'):
        check_mode_fits(TOY_VIT, BenchmarkMode(with_cp=True))
    check_precision('cpu', 'bf16')
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match='CUDA is not available'):
            check_device('cuda')


def test_measure_in_every_mode():
    """bf16 autocast, task-batched passes and with_cp together, on the tiny
    model: every column is filled."""
    r = measure(TOY_POLY, 'method', 32, 1, 'cpu', 0, 1,
                BenchmarkMode('bf16', 'batched', True))
    assert (r['precision'], r['passes'], r['with_cp']) == \
        ('bf16', 'batched', True)
    assert r['train_step_s'] > 0 and r['infer_ms_per_img'] > 0
    assert r['train_img_s'] == pytest.approx(1 / r['train_step_s'])
    assert r['step_mem_mb'] is None or \
        0 <= r['step_mem_mb'] <= r['peak_train_mb']


def run_in_process(capsys, tool: str, *args: str) -> tuple:
    """``python tool args...`` in this process: exit status, stderr."""
    capsys.readouterr()
    code = 0
    with mock.patch.object(sys, 'argv', [tool, *args]):
        try:
            runpy.run_path(osp.join(REPO, tool), run_name='__main__')
        except SystemExit as e:
            code = e.code
    return code, capsys.readouterr().err


def test_benchmark_refuses_before_measuring(capsys):
    code, err = run_in_process(capsys, 'tools/analysis/benchmark.py', TOY_POLY,
                               TOY_MTFT, '--passes', 'sequential', 'batched',
                               '--size', '32')
    assert code == 1 and 'measuring' not in err
    assert err.strip().splitlines() == [
        f'error: {TOY_MTFT}: --passes batched needs a PEFTBackbone model '
        '(one backbone pass per task); its backbone is '
        'mmpretrain.SwinTransformer, one shared pass (ValueError; --debug '
        'shows the traceback)'
    ]
    code, err = run_in_process(capsys, 'tools/analysis/benchmark.py', TOY_POLY,
                               '--amp', '--precision', 'fp32')
    assert code == 1 and err.startswith('error: --amp and --precision: '
                                        'give one')
    code, err = run_in_process(capsys, 'tools/analysis/benchmark.py', TOY_POLY,
                               '--precision', 'amp', 'bf16')
    assert code == 1 and 'bf16 is listed twice' in err  # amp is bf16 here


def test_benchmark_data_on_toy_pascal_and_nyud(toy_root, tmp_path):
    # the toy data has PASCAL-Context's .mat files: label maps and parts
    assert glob.glob(osp.join(toy_root, 'human_parts', '*.mat'))
    assert glob.glob(osp.join(toy_root, 'pascal-context', 'trainval', '*.mat'))
    out = run([
        sys.executable, 'tools/analysis/benchmark_data.py',
        'configs/polyhistor_swin-t.py', '--data-root', toy_root,
        '--num-images', '3', '--warmup', '1', '--workers', '1', '--batch', '2',
        '--target-img-s', '1000', '--json'
    ]).stdout
    result = json.loads(out)
    assert result['images'] == 3 and result['dataset_images'] == 8
    assert list(result['transforms_ms'])[:2] == [
        'LoadImageFromFile', 'LoadMultiTaskAnnotations'
    ]  # the real config's pipeline, every transform timed
    assert result['images_per_s_per_worker'] > 0
    assert sum(result['transforms_ms'].values()) <= result['ms_per_image']
    (loader, ) = result['loaders']
    assert loader['workers'] == 1 and loader['images_per_s'] > 0
    assert result['workers_needed'] == workers_needed(
        1000, result['images_per_s_per_worker'])

    from mmpoly.testing.toy_nyud import generate_toy_nyud_mt
    nyud = str(tmp_path / 'nyud')
    generate_toy_nyud_mt(nyud, num_train=2, num_val=1, size=64)
    loader_cfg, _ = train_loader_config(
        'configs/nyud/polyhistor_swin-t_nyud.py', nyud)
    timing = time_pipeline(build_dataset(loader_cfg['dataset']), 2, 0)
    assert timing.images == 2 and timing.images_per_s > 0
    assert [n for n, _ in timing.transforms][-1] == 'PackMultiTaskInputs'
    assert workers_needed(10.0, 4.0) == 3


@pytest.mark.skipif(
    torch.cuda.is_available(), reason='checks the refusal without CUDA')
def test_gpu_check_needs_cuda_unless_told_cpu():
    proc = run(['bash', 'tools/analysis/gpu_check.sh'], check=False)
    assert proc.returncode == 1 and proc.stdout == ''
    assert proc.stderr.strip().splitlines() == [
        'error: gpu_check.sh: CUDA is not available '
        '(torch.cuda.is_available() is False); use --cpu (with --tiny) to '
        'run on the CPU'
    ]


def test_gpu_check_tiny_on_cpu_prints_rows_and_ratios():
    proc = run([
        'bash', 'tools/analysis/gpu_check.sh', '--cpu', '--tiny', '--configs',
        TOY_POLY, '--size', '32', '--batch', '1', '--warmup', '0',
        '--precision', 'fp32'
    ],
               check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert f'== {TOY_POLY} (cpu, 32x32, batch 1) ==' in out
    rows = [x.split() for x in out.splitlines() if x.startswith('polyhistor')]
    # two rows, one ratio line
    assert [r[2] for r in rows[:2]] == ['sequential', 'batched']
    assert any(r[2:5] == ['batched', 'vs', 'sequential'] for r in rows)
    assert 'gpu_check.sh: measured 1 config(s) on cpu' in out
