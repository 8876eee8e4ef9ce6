"""Write a small synthetic data set in a NYUD-v2 MT layout.

Example:
    python tools/misc/generate_toy_nyud_mt.py data/toy_nyud_mt \
        --layout nyud_mt --train 64 --val 32 --size 128 --seed 0
"""
import argparse

from mmpoly.testing.toy_nyud import generate_toy_nyud_mt
from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_debug_arg


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', help='root of the data set to create')
    parser.add_argument(
        '--layout',
        choices=('nyud_mt', 'invpt'),
        default='nyud_mt',
        help='packaging: the survey/MTLoRA NYUD_MT or InvPT\'s NYUDv2')
    parser.add_argument(
        '--train', type=int, default=64, help='number of training images')
    parser.add_argument(
        '--val', type=int, default=32, help='number of validation images')
    parser.add_argument(
        '--size', type=int, default=128, help='image width (height: 3/4)')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='write into a non-empty directory')
    add_debug_arg(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    ids = generate_toy_nyud_mt(args.out_dir, args.layout, args.train, args.val,
                               args.size, args.seed, args.overwrite)
    print(f'wrote {len(ids["train"])} train and {len(ids["val"])} val '
          f'images ({args.layout} layout) to {args.out_dir}')


if __name__ == '__main__':
    run_tool(main)
