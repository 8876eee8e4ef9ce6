"""Plot training curves from MMEngine's scalar logs, as in MMSeg's tools.

Example:
    python tools/analysis/analyze_logs.py plot_curve \
        work_dirs/polyhistor_swin-t/20261202_120000/vis_data/scalars.json \
        --keys loss semseg/mIoU normals/mean --out curve.png
"""
import argparse

from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_debug_arg
from mmpoly.visualization.curves import load_scalars, plot_curves


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    plot = sub.add_parser('plot_curve', help='plot logged scalars')
    plot.add_argument('logs', nargs='+', help='vis_data/scalars.json files')
    plot.add_argument(
        '--keys', nargs='+', default=['loss'], help='scalars to plot')
    plot.add_argument('--title', help='figure title')
    plot.add_argument('--out', default='curve.png', help='output PNG')
    add_debug_arg(plot)
    return parser.parse_args()


def main():
    args = parse_args()
    out = plot_curves(load_scalars(args.logs), args.keys, args.out, args.title)
    print(f'curve written to {out}')


if __name__ == '__main__':
    run_tool(main)
