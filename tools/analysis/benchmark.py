"""Benchmark training step, inference and peak memory of configs' models.

Each model is built without pretrained weights and run on random inputs of
the given size, each measurement in a fresh process (so a peak-memory figure
belongs to one model); ratios are against the first row of the same run.

--floor adds, for every config with a PEFTBackbone, the same wrapper with
its tuning method replaced by nothing but one frozen-backbone pass per task:
``floor`` with the backward pass through the backbone (what any method with
modules in every block pays) and ``floor-fwd`` without it.

Example (the issue's targets; minutes on a CPU):
    python tools/analysis/benchmark.py configs/polyhistor_swin-t.py \
        configs/baselines/mtft_swin-t_pascal-context.py --floor \
        --size 448 --batch 2
"""
import argparse
import json
import os
import subprocess
import sys

from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_debug_arg, check_sizes


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument('--size', type=int, default=448, help='input side')
    parser.add_argument('--batch', type=int, default=2, help='batch size')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:i]')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument(
        '--floor',
        action='store_true',
        help='also measure the per-task-pass floors')
    parser.add_argument(
        '--json', action='store_true', help='print the rows as JSON')
    parser.add_argument('--worker', help=argparse.SUPPRESS)
    add_debug_arg(parser)
    return parser.parse_args()


def run_worker(args) -> None:
    import mmpoly  # noqa: F401
    from mmpoly.utils.benchmark import measure
    config, variant = args.worker.rsplit('::', 1)
    row = measure(config, variant, args.size, args.batch, args.device,
                  args.warmup, args.iters)
    print('BENCHMARK ' + json.dumps(row), flush=True)


def spawn(config: str, variant: str, args) -> dict:
    cmd = [
        sys.executable, __file__, config, '--worker', f'{config}::{variant}',
        '--size',
        str(args.size), '--batch',
        str(args.batch), '--device', args.device, '--warmup',
        str(args.warmup), '--iters',
        str(args.iters)
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith('BENCHMARK '):
            return json.loads(line[len('BENCHMARK '):])
    raise RuntimeError(f'benchmark of {config} ({variant}) failed:\n'
                       f'{proc.stderr[-3000:]}')


def is_peft(config: str) -> bool:
    from mmengine.config import Config

    import mmpoly  # noqa: F401
    from mmpoly.utils import find_config
    cfg = Config.fromfile(find_config(config))
    return cfg.model.backbone.get('type') == 'PEFTBackbone'


def print_table(rows) -> None:
    base = rows[0]

    def ratio(r, key):
        if r[key] is None or not base[key]:
            return '-'
        return f'{r[key] / base[key]:.2f}x'

    header = ('config', 'variant', 'trainable', 'train step s', 'ratio',
              'infer ms/img', 'ratio', 'peak train MB', 'ratio',
              'gen calls warm')
    lines = []
    for r in rows:
        peak = '-' if r['peak_train_mb'] is None else \
            f'{r["peak_train_mb"]:.0f}'
        lines.append(
            (os.path.basename(r['config']), r['variant'],
             f'{r["trainable"]:,}', f'{r["train_step_s"]:.3f}',
             ratio(r, 'train_step_s'), f'{r["infer_ms_per_img"]:.1f}',
             ratio(r, 'infer_ms_per_img'), peak, ratio(r, 'peak_train_mb'),
             str(r['generate_calls_warm'])))
    widths = [max(len(x) for x in col) for col in zip(header, *lines)]
    fmt = '  '.join('{:<%d}' % w for w in widths)
    print(fmt.format(*header))
    for line in lines:
        print(fmt.format(*line))


def main():
    args = parse_args()
    check_sizes('--size', [args.size])
    check_sizes('--batch', [args.batch])
    check_sizes('--iters', [args.iters])
    check_sizes('--warmup', [args.warmup], 0, 'a whole number >= 0')
    if args.worker:
        run_worker(args)
        return
    jobs = []
    for config in args.configs:
        jobs.append((config, 'method'))
        if args.floor and is_peft(config):
            jobs += [(config, 'floor'), (config, 'floor-fwd')]
    rows = []
    for config, variant in jobs:
        print(
            f'measuring {config} ({variant}) ...', file=sys.stderr, flush=True)
        rows.append(spawn(config, variant, args))
    print(f'\ninput {args.size}x{args.batch} on {args.device}; medians of '
          f'{args.iters} steps after {args.warmup} warm-up; ratios against '
          'the first row')
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(rows)


if __name__ == '__main__':
    run_tool(main)
