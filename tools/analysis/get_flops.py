"""GFLOPs of one image's inference: all tasks, the backbone, each head.

Every per-task backbone pass is counted; generated adapter weights are
cached as in deployed inference. Counted with MMEngine's FlopAnalyzer (one
multiply-add = one FLOP), the model built without data or weights.
``--breakdown`` adds the FLOPs per operator and per backbone stage;
``--floor`` also counts the same model with the method replaced by one
frozen pass per task, and prints per stage what the method adds to it.

Example:
    python tools/analysis/get_flops.py configs/polyhistor_swin-t.py \\
        --shape 448 448
    python tools/analysis/get_flops.py configs/polyhistor_swin-t.py \\
        --tasks semseg normals
    python tools/analysis/get_flops.py configs/polyhistor-lite_swin-t.py \\
        --shape 448 448 --breakdown --floor
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
    parser.add_argument(
        '--breakdown',
        action='store_true',
        help='also print the FLOPs per operator and per backbone stage')
    parser.add_argument(
        '--floor',
        action='store_true',
        help='also count the per-task-pass floor (a PEFTBackbone config): '
        'what the method adds, per stage')
    add_debug_arg(parser)
    return parser.parse_args()


def _print_rows(rows, indent='  '):
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f'{indent}{name:<{width}}  {value / 1e9:9.2f} GFLOPs')


def main():
    args = parse_args()
    check_sizes('--shape', args.shape)
    shape = tuple(args.shape)
    model = build_model_offline(args.config)
    f = count_flops(model, shape, args.tasks)
    floor = None
    if args.floor:
        from mmpoly.utils.benchmark import build_variant
        from mmpoly.utils.model_building import quiet_init_log
        with quiet_init_log():
            floor_model = build_variant(args.config, 'floor')
        floor = count_flops(floor_model, shape, f['tasks'])
    rows = [(f'all {len(f["tasks"])} tasks', f['total']),
            (f'backbone ({f["passes"]} pass'
             f'{"es" if f["passes"] > 1 else ""})', f['backbone'])]
    rows += [(f'head {t}', v) for t, v in f['heads'].items()]
    print(f'{args.config}, input {shape[0]}x{shape[1]}:')
    _print_rows(rows)
    if args.breakdown:
        print('  by operator:')
        _print_rows(
            sorted(f['operators'].items(), key=lambda kv: -kv[1]), ' ' * 4)
        print('  backbone blocks by stage (all passes):')
        _print_rows([(f'stage {i + 1}', v) for i, v in enumerate(f['stages'])],
                    ' ' * 4)
    if floor is not None:
        print(f'  per-task-pass floor: {floor["total"] / 1e9:.2f} GFLOPs; '
              f'the method adds {(f["total"] - floor["total"]) / 1e9:.2f}')
        print('  what the method adds, by stage (all passes):')
        _print_rows(
            [(f'stage {i + 1}', ours - base)
             for i, (ours,
                     base) in enumerate(zip(f['stages'], floor['stages']))],
            ' ' * 4)


if __name__ == '__main__':
    run_tool(main)
