"""Train a multi-task model with MMEngine's Runner.

Example:
    python tools/train.py configs/polyhistor_swin-b.py
    python tools/train.py polyhistor_swin-b            # short form
    python tools/train.py polyhistor_swin-b --amp      # mixed precision
    bash tools/dist_train.sh configs/polyhistor_swin-b.py 4

One training at a time per work dir: ``<work_dir>/train.lock`` (see
:class:`mmpoly.engine.work_dir_lock.WorkDirLock`).
"""
import argparse
import contextlib

import mmpoly  # noqa: F401  (registers mmpoly's modules)
from mmpoly.engine import install_file_backends
from mmpoly.engine.resume_checkpoint import resolve_resume
from mmpoly.engine.work_dir_lock import WorkDirLock
from mmpoly.utils import check_data_roots, finish_distributed, process_rank
from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import (add_runner_args, add_strict_arg,
                                    build_runner, load_runner_config)

#: Optimiser wrappers that already train in mixed precision (``--amp``
#: keeps them).
AMP_WRAPPERS = ('MultiTaskAmpOptimWrapper', 'AmpOptimWrapper')


def parse_args():
    parser = argparse.ArgumentParser(description='Train a multi-task model')
    parser.add_argument('config', help='config file (or its short name)')
    resume = parser.add_mutually_exclusive_group()
    resume.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        default=None,
        metavar='CHECKPOINT',
        help='resume from CHECKPOINT, or (no value) from the latest '
        'checkpoint in the work dir; an error if there is none')
    resume.add_argument(
        '--resume-if-possible',
        action='store_true',
        help='resume from the latest checkpoint in the work dir if there '
        'is one, else start afresh')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed-precision training (MultiTaskAmpOptimWrapper: bfloat16 '
        'on a CPU, float16 with dynamic loss scaling on a GPU; '
        '--cfg-options optim_wrapper.dtype=bfloat16 to choose)')
    add_runner_args(parser)
    add_strict_arg(parser, 'load_from and --resume')
    return parser.parse_args()


def main():
    args = parse_args()
    install_file_backends()  # atomic writes, safe checkpoint loading
    cfg = load_runner_config(args)
    if args.amp and cfg.optim_wrapper.get('type') not in AMP_WRAPPERS:
        cfg.optim_wrapper.type = 'MultiTaskAmpOptimWrapper'
    # one training per work dir (rank 0 holds the lock for all ranks)
    lock = (
        WorkDirLock(cfg.work_dir)
        if process_rank(args.launcher) == 0 else contextlib.nullcontext())
    with lock:
        resume_from = resolve_resume(args.resume, args.resume_if_possible,
                                     cfg.work_dir)
        if resume_from is not None:
            cfg.resume, cfg.load_from = True, resume_from
        elif args.resume_if_possible:
            print(f'nothing to resume from in {cfg.work_dir}: starting '
                  'afresh')

        check_data_roots(cfg, ('train', 'val'))  # before anything expensive

        runner = build_runner(cfg)
        runner.train()
    finish_distributed()


if __name__ == '__main__':
    run_tool(main)
