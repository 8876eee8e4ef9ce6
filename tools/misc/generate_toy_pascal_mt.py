"""Write a small synthetic data set in the PASCAL-Context MT layout.

Example:
    python tools/misc/generate_toy_pascal_mt.py data/toy_pascal_mt \
        --train 64 --val 32 --size 96 --seed 0
"""
import argparse

from mmpoly.testing.toy_pascal import generate_toy_pascal_mt
from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_toy_data_args


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_toy_data_args(parser, 96, 'largest image side in pixels')
    return parser.parse_args()


def main():
    args = parse_args()
    ids = generate_toy_pascal_mt(args.out_dir, args.train, args.val, args.size,
                                 args.seed, args.overwrite)
    print(f'wrote {len(ids["train"])} train and {len(ids["val"])} val '
          f'images to {args.out_dir}')


if __name__ == '__main__':
    run_tool(main)
