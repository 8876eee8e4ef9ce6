"""Predict every task (or some) on one image and draw the panel.

Example:
    python demo/image_demo.py demo.jpg configs/polyhistor_swin-t.py \
        work_dirs/polyhistor_swin-t/iter_40000.pth --out-file panel.png
    python demo/image_demo.py demo.jpg polyhistor_swin-mini_toy-pascal \
        work_dirs/demo/polyhistor_swin-mini_toy-pascal/iter_400.pth \
        --tasks semseg normals --device cpu
"""
import argparse
import os.path as osp

import mmcv

from mmpoly.apis import MultiTaskInferencer
from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_debug_arg


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('img', help='image file')
    parser.add_argument('config', help='config file (or its short name)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--tasks', nargs='+', help='tasks to predict (default: all)')
    parser.add_argument(
        '--out-file', default='panel.png', help='where the panel goes')
    parser.add_argument(
        '--device', default=None, help='cpu or cuda (default: cuda if any)')
    add_debug_arg(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    for path in (args.img, args.checkpoint):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} not found')
    inferencer = MultiTaskInferencer(
        args.config, args.checkpoint, device=args.device)
    result = inferencer(args.img, tasks=args.tasks, return_vis=True)
    mmcv.imwrite(result['visualization'][0][..., ::-1], args.out_file)
    shapes = ', '.join(f'{t} {tuple(p.shape)}'
                       for t, p in result['predictions'].items())
    print(f'predicted {shapes}; panel written to {args.out_file}')


if __name__ == '__main__':
    run_tool(main)
