"""Write a small synthetic data set in a NYUD-v2 MT layout.

Example:
    python tools/misc/generate_toy_nyud_mt.py data/toy_nyud_mt \
        --layout nyud_mt --train 64 --val 32 --size 128 --seed 0
"""
import argparse

from mmpoly.testing.toy_nyud import generate_toy_nyud_mt
from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_toy_data_args


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_toy_data_args(parser, 128, 'image width (height: 3/4)')
    parser.add_argument(
        '--layout',
        choices=('nyud_mt', 'invpt'),
        default='nyud_mt',
        help='packaging: the survey/MTLoRA NYUD_MT or InvPT\'s NYUDv2')
    return parser.parse_args()


def main():
    args = parse_args()
    ids = generate_toy_nyud_mt(args.out_dir, args.layout, args.train, args.val,
                               args.size, args.seed, args.overwrite)
    print(f'wrote {len(ids["train"])} train and {len(ids["val"])} val '
          f'images ({args.layout} layout) to {args.out_dir}')


if __name__ == '__main__':
    run_tool(main)
