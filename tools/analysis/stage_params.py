"""Trainable parameters of tuning methods, stage by stage (Markdown).

Shows the paper's point: per-block adapters cost about C_s² per block, so
their parameters grow quadratically with the stage width, while
Polyhistor-Lite's scaling kernels grow only with the scale s = C_s / C_1.

Example:
    python tools/analysis/stage_params.py \
        configs/baselines/adapter_swin-t_pascal-context.py \
        configs/polyhistor_swin-t.py configs/polyhistor-lite_swin-t.py
"""
import argparse
import os.path as osp

import mmpoly  # noqa: F401
from mmpoly.utils import build_model_offline, count_parameters
from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_debug_arg


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', help='PEFTBackbone configs')
    add_debug_arg(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    columns, arch = [], None
    for config in args.configs:
        model = build_model_offline(config)
        tuner = getattr(model.backbone, 'tuner', None)
        if tuner is None:
            raise SystemExit(f'{config}: its backbone has no tuning method')
        if arch is None:
            arch = tuner.arch
        elif (arch.widths, arch.depths) != (tuner.arch.widths,
                                            tuner.arch.depths):
            raise SystemExit(f'{config}: a different backbone than '
                             f'{args.configs[0]}')
        columns.append(
            (osp.splitext(osp.basename(config))[0],
             tuner.parameters_by_stage(), count_parameters(model)[0]))
    names = [c[0] for c in columns]
    print('| stage | width C_s | depth D_s | ' + ' | '.join(names) + ' |')
    print('|---|---:|---:|' + '---:|' * len(names))
    for s, (w, d) in enumerate(zip(arch.widths, arch.depths)):
        cells = [f'{c[1].get(f"stage {s + 1}", 0):,}' for c in columns]
        print(f'| {s + 1} | {w} | {d} | ' + ' | '.join(cells) + ' |')
    print('| shared by all stages | | | ' +
          ' | '.join(f'{c[1].get("shared", 0):,}' for c in columns) + ' |')
    print('| **method total** | | | ' +
          ' | '.join(f'**{sum(c[1].values()):,}**' for c in columns) + ' |')
    print('| trainable with heads and norms | | | ' +
          ' | '.join(f'{c[2]:,}' for c in columns) + ' |')


if __name__ == '__main__':
    run_tool(main)
