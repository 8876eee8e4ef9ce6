"""Count trainable and total parameters of configs' models.

Builds each model without data and without pretrained weights.

Example:
    python tools/analysis/count_params.py \
        configs/baselines/stft-*_swin-t_pascal-context.py
    python tools/analysis/count_params.py configs/polyhistor_swin-t.py --json
"""
import argparse
import json

import mmpoly  # noqa: F401
from mmpoly.utils import build_model_offline, count_parameters
from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_debug_arg


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument(
        '--json',
        action='store_true',
        help='print a JSON list of {"config", "trainable", "total"}')
    add_debug_arg(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    rows = []
    for config in args.configs:
        trainable, total = count_parameters(build_model_offline(config))
        rows.append(dict(config=config, trainable=trainable, total=total))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    width = max(len(r['config']) for r in rows + [dict(config='config')])
    print(f'{"config":<{width}}  {"trainable":>13}  {"total":>13}')
    for r in rows:
        print(f'{r["config"]:<{width}}  {r["trainable"]:>13,}  '
              f'{r["total"]:>13,}')
    if len(rows) > 1:
        print(f'{"sum":<{width}}  {sum(r["trainable"] for r in rows):>13,}  '
              f'{sum(r["total"] for r in rows):>13,}')


if __name__ == '__main__':
    run_tool(main)
