"""Train a multi-task model with MMEngine's Runner.

Example:
    python tools/train.py configs/polyhistor_swin-b.py
    python tools/train.py polyhistor_swin-b            # short form
    bash tools/dist_train.sh configs/polyhistor_swin-b.py 4
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

import mmpoly  # noqa: F401  (registers mmpoly's modules)
from mmpoly.utils import (adapt_dist_backend, check_data_roots, find_config,
                          finish_distributed)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a multi-task model')
    parser.add_argument('config', help='config file (or its short name)')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        default=None,
        help='resume from CHECKPOINT, or (no value) from the latest '
        'checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true', help='mixed-precision training')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    cfg = Config.fromfile(find_config(args.config))
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    adapt_dist_backend(cfg)

    try:  # before building anything expensive
        check_data_roots(cfg, ('train', 'val'))
    except FileNotFoundError as e:
        sys.exit(f'error: {e}')

    runner = Runner.from_cfg(cfg)
    runner.train()
    finish_distributed()


if __name__ == '__main__':
    main()
