"""The methods x backbones table: trainable parameters on PASCAL-Context.

For each backbone family (its smallest size) and each method, builds the
method's config for that family (without data or pretrained weights) and
counts its trainable parameters (method, per-task output norms and heads);
where the family has no config for the method, builds the method's own
settings on the family's decoder-only config and prints the one-line
refusal as a footnote.

Example:
    python tools/analysis/backbone_table.py
    python tools/analysis/backbone_table.py --methods polyhistor lora
"""
import argparse
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config

import mmpoly  # noqa: F401
from mmpoly.models.archs import UnsupportedBackboneError
from mmpoly.utils import build_model_offline, count_parameters
from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_debug_arg

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: (column title, config folder, config name of the family's smallest size)
FAMILIES: Tuple[Tuple[str, str, str], ...] = (
    ('Swin-T', 'baselines', 'swin-t'),
    ('Swin-V2-T', 'swinv2', 'swinv2-t'),
    ('ConvNeXt-T', 'convnext', 'convnext-t'),
    ('ViT-S/14 (DINOv2)', 'vit', 'vit-s-p14-dinov2'),
)

#: (method config name, row title)
METHODS: Tuple[Tuple[str, str], ...] = (
    ('decoder-only', 'Decoders only'),
    ('mtft', 'Multi-task full fine-tuning'),
    ('bitfit', 'BitFit'),
    ('relative-bias', 'Relative-bias tuning'),
    ('vpt-shallow', 'VPT-shallow'),
    ('vpt-deep', 'VPT-deep'),
    ('lora', 'LoRA'),
    ('ia3', 'IA³'),
    ('adapter', 'Adapter'),
    ('shared-adapter', 'Shared adapter'),
    ('low-rank-adapter', 'Low-rank adapter'),
    ('phm-adapter', 'PHM adapter'),
    ('compacter', 'Compacter'),
    ('compacter++', 'Compacter++'),
    ('hyperformer', 'Hyperformer'),
    ('hyperformer++', 'Hyperformer++'),
    ('mtlora', 'MTLoRA'),
    ('polyhistor', 'Polyhistor'),
    ('polyhistor-lite', 'Polyhistor-Lite'),
)


def method_config(method: str, folder: str, size: str) -> str:
    """Path of ``method``'s config for a family (it may not exist)."""
    if folder == 'baselines' and method.startswith('polyhistor'):
        folder = 'polyhistor'
    return osp.join(REPO, 'configs', folder,
                    f'{method}_{size}_pascal-context.py')


def count_cell(method: str, folder: str,
               size: str) -> Tuple[Optional[int], Optional[str]]:
    """``(trainable parameters, None)`` or ``(None, refusal line)``."""
    path = method_config(method, folder, size)
    if osp.isfile(path):
        return count_parameters(build_model_offline(path))[0], None
    cfg = Config.fromfile(method_config('decoder-only', folder, size))
    tuner = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'methods', f'{method}.py')).tuner
    cfg.model.backbone.tuner = tuner
    try:
        build_model_offline(cfg)
    except UnsupportedBackboneError as e:
        return None, str(e)
    raise RuntimeError(f'{method} builds on {size} but has no config '
                       f'{osp.relpath(path, REPO)}')


def table(methods: List[Tuple[str, str]]) -> str:
    """The Markdown table and its footnotes."""
    lines = [
        '| method (PASCAL-Context, 4 tasks) | ' +
        ' | '.join(f[0] for f in FAMILIES) + ' |',
        '|---|' + '---:|' * len(FAMILIES)
    ]
    notes: Dict[str, int] = {}
    for method, title in methods:
        cells = []
        for _, folder, size in FAMILIES:
            count, refusal = count_cell(method, folder, size)
            if refusal is None:
                cells.append(f'{count:,}')
            else:
                key = notes.setdefault(refusal, len(notes) + 1)
                cells.append(f'— [{key}]')
        lines.append(f'| {title} | ' + ' | '.join(cells) + ' |')
    lines.append('')
    lines += [f'[{k}] {line}  ' for line, k in notes.items()]
    return '\n'.join(lines).rstrip() + '\n'


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--methods',
        nargs='+',
        choices=[m for m, _ in METHODS],
        help='rows to print (default: all)')
    add_debug_arg(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    methods = [m for m in METHODS if not args.methods or m[0] in args.methods]
    print(table(methods), end='')


if __name__ == '__main__':
    run_tool(main)
