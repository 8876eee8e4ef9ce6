"""Benchmark training step, inference and peak memory of configs' models.

Each model is built without pretrained weights and run on random inputs of
the given size, each measurement in a fresh process (so a peak-memory figure
belongs to one model). Every config is measured in every combination of the
modes asked for (the cartesian product):

--precision fp32 bf16 fp16 (or amp: bf16 on CPU, fp16 on CUDA; --amp is
    --precision amp): autocast for inference, MultiTaskAmpOptimWrapper for
    training;
--passes sequential batched: the per-task backbone passes one after
    another, or as one pass over T x B images (batched_task_passes);
--with-cp off on: activation checkpointing in the (wrapped) backbone.

Columns: training step (forward, backward and optimiser step over all
tasks) in seconds and images/s, inference per image, peak training memory
(CUDA: max allocated; CPU: peak resident set of the process) and ``step
MB``, that peak less what was held before the step (weights, optimiser
state, on a CPU the libraries too: mostly the step's activations); ratios
against the first row. The first value of each mode option is its
reference: after the table, every row is compared with the row that
differs from it only in that option, set to the reference (speed-up =
reference time / time; memory = MB / reference MB).

A combination a config cannot run (batched passes of a method with one
shared pass, with_cp on a backbone without it, a precision the device
lacks) is refused before anything is measured, or left out with
--skip-unsupported. --keep-going measures the rest after a failure (e.g.
out of memory), lists it and exits with status 1.

--floor adds, for every config with a PEFTBackbone, the same wrapper with
its tuning method replaced by nothing but one frozen-backbone pass per task:
``floor`` with the backward pass through the backbone (what any method with
modules in every block pays) and ``floor-fwd`` without it; the method's
step is then also given as a multiple of its floors'.

Examples (minutes on a CPU):
    python tools/analysis/benchmark.py configs/polyhistor_swin-t.py \
        configs/baselines/mtft_swin-t_pascal-context.py --floor \
        --size 448 --batch 2
    python tools/analysis/benchmark.py configs/polyhistor_swin-t.py \
        --precision fp32 bf16 --passes sequential batched \
        --with-cp off on --size 448 --batch 2
"""
import argparse
import itertools
import json
import os
import re
import subprocess
import sys
from typing import List, Sequence, Tuple

from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_debug_arg, check_sizes

PRECISION_CHOICES = ('fp32', 'bf16', 'fp16', 'amp')
PASSES_CHOICES = ('sequential', 'batched')
CP_CHOICES = ('off', 'on')

#: The one error line a worker ends with (see mmpoly.utils.cli.run_tool).
WORKER_ERROR = re.compile(
    r'^error: (.*) \(\w+; --debug shows the traceback\)$')


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[2:]))
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument('--size', type=int, default=448, help='input side')
    parser.add_argument('--batch', type=int, default=2, help='batch size')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:i]')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument(
        '--precision',
        nargs='+',
        choices=PRECISION_CHOICES,
        help='precisions to measure (default fp32; amp: bf16 on CPU, fp16 '
        'on CUDA)')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='measure under mixed precision only (--precision amp)')
    parser.add_argument(
        '--passes',
        nargs='+',
        choices=PASSES_CHOICES,
        default=['sequential'],
        help='per-task backbone passes one after another and/or batched '
        '(default sequential)')
    parser.add_argument(
        '--with-cp',
        nargs='+',
        choices=CP_CHOICES,
        default=['off'],
        help='activation checkpointing in the backbone (default off)')
    parser.add_argument(
        '--floor',
        action='store_true',
        help='also measure the per-task-pass floors')
    parser.add_argument(
        '--skip-unsupported',
        action='store_true',
        help='leave out the combinations a config cannot run (named on '
        'stderr) instead of refusing them')
    parser.add_argument(
        '--keep-going',
        action='store_true',
        help='after a failed measurement (e.g. out of memory), measure the '
        'rest; the failures are listed and the exit status is 1')
    parser.add_argument(
        '--json', action='store_true', help='print the results as JSON')
    parser.add_argument('--worker', help=argparse.SUPPRESS)
    add_debug_arg(parser)
    return parser.parse_args()


def check_once(flag: str, values: Sequence[str]) -> None:
    """Refuse a value listed twice (after resolving ``amp``)."""
    for value in values:
        if list(values).count(value) > 1:
            raise ValueError(f'{flag} {" ".join(values)}: {value} is listed '
                             'twice')


def resolve_precisions(args) -> List[str]:
    """``--precision`` / ``--amp`` as precisions, ``amp`` resolved for the
    device."""
    from mmpoly.utils.benchmark import amp_precision
    if args.amp and args.precision:
        raise ValueError('--amp and --precision: give one (--amp is '
                         '--precision amp)')
    given = ['amp'] if args.amp else (args.precision or ['fp32'])
    resolved = [amp_precision(args.device) if p == 'amp' else p for p in given]
    check_once('--precision', resolved)
    return resolved


def run_worker(args) -> None:
    import mmpoly  # noqa: F401
    from mmpoly.utils.benchmark import BenchmarkMode, measure
    job = json.loads(args.worker)
    row = measure(job['config'], job['variant'], args.size, args.batch,
                  args.device, args.warmup, args.iters,
                  BenchmarkMode(**job['mode']))
    print('BENCHMARK ' + json.dumps(row), flush=True)


def worker_failure(proc: subprocess.CompletedProcess) -> str:
    """The worker's own error line, or the end of its output."""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        match = WORKER_ERROR.match(line)
        if match:
            return match.group(1)
    tail = lines[-1] if lines else 'no output'
    return f'the worker exited with status {proc.returncode} ({tail})'


def spawn(config: str, variant: str, mode, args) -> dict:
    job = dict(config=config, variant=variant, mode=mode._asdict())
    cmd = [
        sys.executable, __file__, config, '--worker',
        json.dumps(job), '--size',
        str(args.size), '--batch',
        str(args.batch), '--device', args.device, '--warmup',
        str(args.warmup), '--iters',
        str(args.iters)
    ] + (['--debug'] if args.debug else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith('BENCHMARK '):
            return json.loads(line[len('BENCHMARK '):])
    if args.debug:
        sys.stderr.write(proc.stderr[-6000:])
    raise RuntimeError(f'{config} ({variant}, {mode.label}): '
                       f'{worker_failure(proc)}')


def is_peft(config: str) -> bool:
    from mmpoly.utils import load_config
    return load_config(config).model.backbone.get('type') == 'PEFTBackbone'


def plan_jobs(args, precisions: List[str]) -> List[Tuple[str, str, object]]:
    """Every (config, variant, mode) to measure, each checked first."""
    from mmpoly.utils.benchmark import (BenchmarkMode, check_device,
                                        check_mode_fits, check_precision)
    check_device(args.device)
    for precision in precisions:
        check_precision(args.device, precision)
    modes = [
        BenchmarkMode(p, passes,
                      cp == 'on') for p, passes, cp in itertools.product(
                          precisions, args.passes, args.with_cp)
    ]
    jobs = []
    for config in args.configs:
        fitting = []
        for mode in modes:
            try:
                check_mode_fits(config, mode)
            except ValueError as e:
                if not args.skip_unsupported:
                    raise
                print(f'skipped: {e}', file=sys.stderr, flush=True)
                continue
            fitting.append(mode)
        variants = ['method']
        if args.floor and is_peft(config):
            variants += ['floor', 'floor-fwd']
        jobs += [(config, v, m) for v in variants for m in fitting]
    if not jobs:
        raise ValueError('nothing to measure: every combination asked for '
                         'was skipped as unsupported')
    return jobs


def fmt_ratio(value) -> str:
    return '-' if value is None else f'{value:.2f}x'


def fmt_mb(value) -> str:
    return '-' if value is None else f'{value:.0f}'


def print_columns(header: Sequence[str], lines: List[Sequence[str]]) -> None:
    widths = [max(len(x) for x in col) for col in zip(header, *lines)]
    fmt = '  '.join('{:<%d}' % w for w in widths)
    print(fmt.format(*header))
    for line in lines:
        print(fmt.format(*line))


def print_table(rows, varied: Sequence[str]) -> None:
    """The rows, with a column for each mode setting that varies and
    ratios against the first row."""
    from mmpoly.utils.benchmark_ratios import setting_text
    base = rows[0]

    def ratio(r, key):
        if r[key] is None or not base[key]:
            return '-'
        return f'{r[key] / base[key]:.2f}x'

    header = ('config', 'variant') + tuple(varied) + (
        'trainable', 'train step s', 'ratio', 'train img/s', 'infer ms/img',
        'ratio', 'peak train MB', 'ratio', 'step MB', 'ratio',
        'gen calls warm')
    lines = []
    for r in rows:
        modes = tuple(
            setting_text(k, r[k]).replace('with_cp ', '') for k in varied)
        lines.append((os.path.basename(r['config']), r['variant']) + modes +
                     (f'{r["trainable"]:,}', f'{r["train_step_s"]:.3f}',
                      ratio(r, 'train_step_s'), f'{r["train_img_s"]:.2f}',
                      f'{r["infer_ms_per_img"]:.1f}',
                      ratio(r, 'infer_ms_per_img'), fmt_mb(r['peak_train_mb']),
                      ratio(r, 'peak_train_mb'), fmt_mb(r['step_mem_mb']),
                      ratio(r, 'step_mem_mb'), str(r['generate_calls_warm'])))
    print_columns(header, lines)


def print_mode_ratios(ratios) -> None:
    print('\none setting changed, same config and variant (speed-up = '
          'reference time / time; memory = MB / reference MB):')
    print_columns(
        ('config', 'variant', 'change', 'at', 'step speed-up',
         'infer speed-up', 'peak MB', 'step MB'),
        [(os.path.basename(r['config']), r['variant'], r['change'], r['at'],
          fmt_ratio(r['step_speedup']), fmt_ratio(r['infer_speedup']),
          fmt_ratio(r['peak_ratio']), fmt_ratio(r['step_mem_ratio']))
         for r in ratios])


def print_floor_ratios(ratios) -> None:
    print('\ntraining step of the method / of its floor:')
    print_columns(('config', 'at', 'vs floor', 'vs floor-fwd'),
                  [(os.path.basename(r['config']), r['at'],
                    fmt_ratio(r['vs_floor']), fmt_ratio(r['vs_floor_fwd']))
                   for r in ratios])


def print_results(args, setup: dict, precisions: List[str], rows: list,
                  by_mode: list, by_floor: list, failures: List[str]) -> None:
    """The table of rows, then the ratios and the failures."""
    values = dict(
        precision=precisions, passes=args.passes, with_cp=args.with_cp)
    varied = [k for k, v in values.items() if len(v) > 1]
    fixed = ', '.join(f'{k} {v[0]}' for k, v in values.items() if len(v) == 1)
    print(f'\ninput {args.size}x{args.size}, batch {args.batch} on '
          f'{args.device} ({setup["device_name"]}); '
          f'{fixed + "; " if fixed else ""}medians of {args.iters} steps '
          f'after {args.warmup} warm-up, each row in its own process; '
          'ratios against the first row')
    if rows:
        print_table(rows, varied)
    if by_mode:
        print_mode_ratios(by_mode)
    if by_floor:
        print_floor_ratios(by_floor)
    if failures:
        print(f'\n{len(failures)} measurement(s) failed:')
        for line in failures:
            print(f'  {line}')


def main():
    args = parse_args()
    check_sizes('--size', [args.size])
    check_sizes('--batch', [args.batch])
    check_sizes('--iters', [args.iters])
    check_sizes('--warmup', [args.warmup], 0, 'a whole number >= 0')
    if args.worker:
        run_worker(args)
        return
    import mmpoly  # noqa: F401
    from mmpoly.utils.benchmark import device_name
    from mmpoly.utils.benchmark_ratios import floor_ratios, mode_ratios
    precisions = resolve_precisions(args)
    check_once('--passes', args.passes)
    check_once('--with-cp', args.with_cp)
    jobs = plan_jobs(args, precisions)
    rows, failures = [], []
    for config, variant, mode in jobs:
        print(
            f'measuring {config} ({variant}, {mode.label}) ...',
            file=sys.stderr,
            flush=True)
        try:
            rows.append(spawn(config, variant, mode, args))
        except RuntimeError as e:
            if not args.keep_going:
                raise
            print(f'failed: {e}', file=sys.stderr, flush=True)
            failures.append(str(e))
    references = dict(
        precision=precisions[0],
        passes=args.passes[0],
        with_cp=args.with_cp[0] == 'on')
    by_mode = mode_ratios(rows, references)
    by_floor = floor_ratios(rows)
    setup = dict(
        size=args.size,
        batch=args.batch,
        device=args.device,
        device_name=device_name(args.device),
        warmup=args.warmup,
        iters=args.iters,
        precision=precisions,
        passes=args.passes,
        with_cp=args.with_cp)
    if args.json:
        print(
            json.dumps(
                dict(
                    setup=setup,
                    rows=rows,
                    mode_ratios=by_mode,
                    floor_ratios=by_floor,
                    failures=failures),
                indent=2))
    else:
        print_results(args, setup, precisions, rows, by_mode, by_floor,
                      failures)
    if failures:
        print(
            f'error: {len(failures)} of {len(jobs)} measurements failed',
            file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    run_tool(main)
