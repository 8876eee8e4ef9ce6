"""GFLOPs of one image's inference: all tasks, the backbone, each head.

Every per-task backbone pass is counted; generated adapter weights are
cached as in deployed inference. Counted with MMEngine's FlopAnalyzer (one
multiply-add = one FLOP), the model built without data or weights.

Example:
    python tools/analysis/get_flops.py configs/polyhistor_swin-t.py \
        --shape 448 448
    python tools/analysis/get_flops.py configs/polyhistor_swin-t.py \
        --tasks semseg normals
"""
import argparse

from mmpoly.utils import build_model_offline
from mmpoly.utils.cli import run_tool
from mmpoly.utils.flops import count_flops
from mmpoly.utils.tool_args import add_debug_arg, add_shape_arg, check_sizes


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file (or its short name)')
    add_shape_arg(parser, '--shape', 'input size')
    parser.add_argument('--tasks', nargs='+', help='tasks (default: all)')
    add_debug_arg(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    check_sizes('--shape', args.shape)
    model = build_model_offline(args.config)
    f = count_flops(model, tuple(args.shape), args.tasks)
    rows = [(f'all {len(f["tasks"])} tasks', f['total']),
            (f'backbone ({f["passes"]} pass'
             f'{"es" if f["passes"] > 1 else ""})', f['backbone'])]
    rows += [(f'head {t}', v) for t, v in f['heads'].items()]
    width = max(len(r[0]) for r in rows)
    print(f'{args.config}, input {args.shape[0]}x{args.shape[1]}:')
    for name, value in rows:
        print(f'  {name:<{width}}  {value / 1e9:9.2f} GFLOPs')


if __name__ == '__main__':
    run_tool(main)
