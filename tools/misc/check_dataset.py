"""Check every file of a config's data sets before a long run.

Example:
    python tools/misc/check_dataset.py configs/polyhistor_swin-t.py --full

Without ``--full`` it checks that every file the split files list exists
and decodes the first image of each split; with ``--full`` it decodes and
checks every image and every task's ground truth (format, channels, size,
value ranges) and lists each bad file. Exit status 1 when any is bad.
"""
import argparse
import sys

from mmengine.registry import init_default_scope

import mmpoly  # noqa: F401  (registers mmpoly's modules)
from mmpoly.datasets.dataset_check import check_config_data
from mmpoly.utils.cli import run_tool
from mmpoly.utils.config_loading import load_config
from mmpoly.utils.dict_action import DictAction
from mmpoly.utils.tool_args import add_debug_arg


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file (or its short name)')
    parser.add_argument(
        '--full',
        action='store_true',
        help='decode and check every image, not only the first of each '
        'split')
    parser.add_argument(
        '--phases',
        nargs='+',
        default=['train', 'val', 'test'],
        choices=['train', 'val', 'test'],
        help='dataloaders to check')
    parser.add_argument(
        '--max-errors',
        type=int,
        default=None,
        help='stop a split after this many bad images')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    add_debug_arg(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    init_default_scope('mmseg')
    cfg = load_config(args.config, args.cfg_options)
    reports = check_config_data(cfg, tuple(args.phases), args.full,
                                args.max_errors)
    bad = 0
    for r in reports:
        what = 'every image' if args.full else 'the file list and image 1'
        state = 'ok' if not r.errors else f'{len(r.errors)} bad'
        print(f'{r.where}: {r.num_images} images, checked {what} '
              f'({r.num_checked} decoded): {state}')
        for line in r.errors:
            print(f'  {line}')
        bad += len(r.errors)
    if bad:
        print(
            f'error: {bad} bad file(s) in the data of {args.config}',
            file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    run_tool(main)
