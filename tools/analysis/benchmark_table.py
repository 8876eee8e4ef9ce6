"""Print the benchmark table (Markdown) of the parameter-efficient methods.

For each method: trainable parameters counted on the built model (ours),
the GFLOPs of one image's inference of all tasks (every per-task backbone
pass counted; ``tools/analysis/get_flops.py`` gives them per part),
the count the Polyhistor paper printed (PASCAL-Context, where it printed
one), and each task's primary metric and Δm read from
``RESULTS/<config name>/metrics.json`` (as written by ``tools/test.py CONFIG
CHECKPOINT --out RESULTS/<config name>``) when a run's results are there.
``--reported`` adds the figures reported in the literature for comparison
(collected from secondary sources; PASCAL-Context).

``--protocol mtlora`` prints the table of the MTLoRA protocol instead
(``configs/mtlora-protocol/``: features after patch merging, per-task
Downsampler + HRNet-style heads, the methods' own trainable backbone
tensors), with the trainable parameters of the backbone side beside the
totals (DiTASK's paper counts only those) and the counts the MTLoRA,
TADFormer and DiTASK papers printed.

Example:
    python tools/analysis/benchmark_table.py --results results/ --reported
    python tools/analysis/benchmark_table.py --dataset nyud
    python tools/analysis/benchmark_table.py --protocol mtlora
"""
import argparse
import glob
import json
import os.path as osp
from collections import OrderedDict

from mmengine.config import Config

import mmpoly  # noqa: F401
from mmpoly.functional import delta_m
from mmpoly.tasks import build_tasks
from mmpoly.utils import build_model_offline, count_parameters
from mmpoly.utils.cli import run_tool
from mmpoly.utils.config_lookup import repo_configs_dir
from mmpoly.utils.flops import count_flops
from mmpoly.utils.tool_args import add_debug_arg, add_shape_arg, check_sizes

# method key -> (name, paper's printed trainable count, reported metrics
# semseg / parts / sal / normals / Δm, from ../shared/METHODS.md)
METHODS = OrderedDict([
    ('stft', ('Single-task full fine-tuning', '112.62 M', (67.21, 61.93, 62.35,
                                                           17.97, 0.0))),
    ('mtft', ('Multi-task full fine-tuning', '30.06 M', (None, None, None,
                                                         None, 2.23))),
    ('decoder-only', ('Decoders only', '1.94 M (a)', None)),
    ('bitfit', ('BitFit', '2.85 M', (None, None, None, None, -4.60))),
    ('relative-bias', ('Relative-bias tuning', '—', None)),
    ('vpt-shallow', ('VPT-shallow', '—', None)),
    ('vpt-deep', ('VPT-deep', '3.43 M', (None, None, None, None, -10.85))),
    ('lora', ('LoRA', '2.87 M', (70.12, 57.73, 61.90, 18.96, -2.17))),
    ('ia3', ('IA³ (added)', '—', None)),
    ('adapter', ('Adapter', '11.24 M', (None, None, None, None, -2.71))),
    ('shared-adapter', ('Shared adapter', '4.74 M', None)),
    ('low-rank-adapter', ('Low-rank adapter', '—', None)),
    ('phm-adapter', ('PHM adapter', '—', None)),
    ('compacter', ('Compacter', '—', None)),
    ('compacter++', ('Compacter++', '—', None)),
    ('hyperformer', ('Hyperformer', '72.77 M (b)', (71.43, 60.73, 65.54, 17.77,
                                                    2.64))),
    ('hyperformer++', ('Hyperformer++ (ablation)', '—', None)),
    ('mtlora', ('MTLoRA', '8.34 M (c)', (67.90, 59.84, 65.40, 16.60, 2.55))),
    ('mtlora-plus', ('MTLoRA+', '—', None)),
    ('tadformer', ('TADFormer', '—', None)),
    ('tadformer-naive', ('TADFormer, released filter', '—', None)),
    ('ditask', ('DiTASK', '—', None)),
    ('dora', ('DoRA (per task, qkv)', '—', None)),
    ('dora-mtlora', ('DoRA-MTLoRA', '—', None)),
    ('mona-shared', ('Mona (shared)', '—', None)),
    ('mona', ('Mona (per task)', '—', None)),
    ('polyhistor', ('**Polyhistor**', '8.96 M', (70.87, 59.54, 65.47, 17.47,
                                                 2.34))),
    ('polyhistor-lite', ('**Polyhistor-Lite**', '6.41 M (d)',
                         (70.24, 59.12, 64.75, 17.40, 1.74))),
])
# the MTLoRA protocol's rows: method key -> (name, printed count,
# reported metrics as above, or None)
MTLORA_METHODS = OrderedDict([
    ('decoder-only', ('Decoders only', '—', None)),
    ('mtlora-r16', ('MTLoRA r=16', '4.95 M', None)),
    ('mtlora-r32', ('MTLoRA r=32', '6.08 M', None)),
    ('mtlora', ('MTLoRA r=64', '8.34 M', (67.90, 59.84, 65.40, 16.60, 2.55))),
    ('mtlora-plus-r16', ('MTLoRA+ r=16', '—', None)),
    ('mtlora-plus-r32', ('MTLoRA+ r=32', '—', None)),
    ('mtlora-plus', ('MTLoRA+ r=64', '—', None)),
    ('tadformer-r16', ('TADFormer r=16', '3.56 M', None)),
    ('tadformer-r32', ('TADFormer r=32', '4.78 M', None)),
    ('tadformer', ('TADFormer r=64', '7.38 M', None)),
    ('tadformer-naive-r16', ('TADFormer r=16, released filter', '—', None)),
    ('tadformer-naive-r32', ('TADFormer r=32, released filter', '—', None)),
    ('tadformer-naive', ('TADFormer r=64, released filter', '—', None)),
    ('ditask', ('DiTASK', '1.61 M (e)', None)),
    ('dora', ('DoRA (per task, qkv, r=4)', '—', None)),
    ('dora-mtlora-r16', ('DoRA-MTLoRA r=16', '—', None)),
    ('dora-mtlora-r32', ('DoRA-MTLoRA r=32', '—', None)),
    ('dora-mtlora', ('DoRA-MTLoRA r=64', '—', None)),
    ('mona-shared', ('Mona (shared)', '—', None)),
    ('mona', ('Mona (per task)', '—', None)),
    ('lora', ('LoRA', '—', None)),
    ('polyhistor', ('**Polyhistor**', '—', None)),
    ('polyhistor-lite', ('**Polyhistor-Lite**', '—', None)),
])
MTLORA_NOTES = [
    '(e) the backbone side only (theta and the backbone tensors DiTASK '
    'trains, mostly the 1.55 M merge reductions): compare with the '
    '"backbone" column.',
    'Printed counts: the MTLoRA (CVPR 2024), TADFormer and DiTASK (CVPR '
    '2025) papers; reported metrics: MTLoRA r=64 as printed by its paper.',
]
NOTES = [
    '(a) not reproducible: heads and per-task output norms alone are '
    '2,549,024.',
    '(b) likely a misprint: the configuration reproduces 73.77 M.',
    '(c) the reference counts its own HRNet heads; with the benchmark\'s '
    'heads the same method has the count in the first column.',
    '(d) re-reported elsewhere, not reproducible; the method as described '
    'has ≈ 3.0 M.',
]
#: Metric column headers, by metric key (↑ higher is better, ↓ lower).
HEADERS = {
    'semseg/mIoU': 'semseg mIoU ↑',
    'human_parts/mIoU': 'parts mIoU ↑',
    'sal/mIoU': 'sal mIoU ↑',
    'depth/rmse': 'depth RMSE ↓',
    'normals/mean': 'normals mErr ↓',
    'edge/odsF': 'edge odsF ↑',
    'delta_m': 'Δm % ↑',
}
#: Per benchmark: config folders and name suffix, metric columns (keys of
#: ``HEADERS``), and whether the Polyhistor paper's counts apply.
DATASETS = dict(
    pascal=dict(
        folders=('baselines', 'polyhistor'),
        suffix='pascal-context',
        title='PASCAL-Context',
        columns=('semseg/mIoU', 'human_parts/mIoU', 'sal/mIoU', 'normals/mean',
                 'delta_m'),
        paper=True),
    nyud=dict(
        folders=('nyud', ),
        suffix='nyud',
        title='NYUD-v2',
        columns=('semseg/mIoU', 'depth/rmse', 'normals/mean', 'edge/odsF',
                 'delta_m'),
        paper=False),
)

#: Per protocol: its rows, notes and config folders (None: the data
#: set's own).
PROTOCOLS = dict(
    polyhistor=dict(methods=METHODS, notes=NOTES, folders=None),
    mtlora=dict(
        methods=MTLORA_METHODS,
        notes=MTLORA_NOTES,
        folders=('mtlora-protocol', )),
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--protocol',
        choices=sorted(PROTOCOLS),
        default='polyhistor',
        help="the Polyhistor paper's benchmark or the MTLoRA protocol")
    parser.add_argument(
        '--methods',
        nargs='+',
        help='only these rows (method keys, e.g. mtlora ditask)')
    parser.add_argument(
        '--dataset',
        choices=sorted(DATASETS),
        default='pascal',
        help='which benchmark')
    parser.add_argument(
        '--backbone', default='swin-t', help='swin-t, swin-s or swin-b')
    parser.add_argument(
        '--results',
        default='results',
        help='folder of <config name>/metrics.json')
    add_shape_arg(parser, '--flops-shape',
                  'input of the GFLOPs column (one image, all tasks)')
    parser.add_argument(
        '--no-flops', action='store_true', help='leave the GFLOPs out')
    parser.add_argument(
        '--reported',
        action='store_true',
        help='also print the figures reported in the '
        'literature')
    add_debug_arg(parser)
    return parser.parse_args()


def method_of(stem: str) -> str:
    name = stem.split('_swin-')[0]
    return 'stft' if name.startswith('stft-') else name


def configs_for(backbone: str, dataset: dict, methods: dict, folders=None):
    root = repo_configs_dir() or 'configs'
    paths = []
    for folder in folders or dataset['folders']:
        paths += glob.glob(
            osp.join(root, folder, f'*_{backbone}_{dataset["suffix"]}.py'))
    groups = OrderedDict((m, []) for m in methods)
    for p in sorted(paths):
        key = method_of(osp.splitext(osp.basename(p))[0])
        if key in groups:
            groups[key].append(p)
    return OrderedDict((k, v) for k, v in groups.items() if v)


def read_metrics(results: str, configs):
    merged = {}
    for config in configs:
        path = osp.join(results,
                        osp.splitext(osp.basename(config))[0], 'metrics.json')
        if osp.isfile(path):
            with open(path) as f:
                merged.update(json.load(f)['metrics'])
    return merged


def fmt(value, signed=False):
    if value is None:
        return '—'
    return f'{value:+.2f}' if signed else f'{value:.2f}'


def single_task_delta_m(got: dict, configs) -> None:
    """Δm of the single-task runs' combined metrics, when the tasks have
    references (one run per task; each run's own Δm is dropped)."""
    got.pop('delta_m', None)
    tasks = {}
    for c in configs:
        tasks.update(build_tasks(Config.fromfile(c).tasks))
    primary = {n: got.get(f'{n}/{t.primary_metric}') for n, t in tasks.items()}
    with_refs = all(t.delta_m_reference is not None for t in tasks.values())
    if with_refs and all(v is not None for v in primary.values()):
        got['delta_m'] = delta_m(primary, tasks)


def main():
    args = parse_args()
    check_sizes('--flops-shape', args.flops_shape)
    dataset = DATASETS[args.dataset]
    protocol = PROTOCOLS[args.protocol]
    methods = protocol['methods']
    if args.methods:
        unknown = [m for m in args.methods if m not in methods]
        if unknown:
            raise ValueError(f'--methods: {unknown} are not rows of the '
                             f'{args.protocol} table ({list(methods)})')
        methods = OrderedDict((k, methods[k]) for k in args.methods)
    mtlora = args.protocol == 'mtlora'
    columns = dataset['columns']
    headers = [HEADERS[m] for m in columns]
    groups = configs_for(args.backbone, dataset, methods, protocol['folders'])
    flops_header = '' if args.no_flops else \
        f' GFLOPs ({args.flops_shape[0]}²) |'
    title = ', MTLoRA protocol' if mtlora else ''
    print(f'| method ({args.backbone.upper()}, {dataset["title"]}{title}) | '
          'trainable (ours) |' + (' backbone (ours) |' if mtlora else '') +
          f' paper |{flops_header} ' + ' | '.join(headers) + ' |')
    print('|---|---:|' + ('---:|' if mtlora else '') + '---:|' +
          ('' if args.no_flops else '---:|') + '---:|' * len(headers))
    for key, configs in groups.items():
        name, paper, _ = methods[key]
        models = [build_model_offline(c) for c in configs]
        trainable = sum(count_parameters(m)[0] for m in models)
        backbone = ' {:,} |'.format(
            sum(p.numel() for m in models for p in m.backbone.parameters()
                if p.requires_grad))
        flops = '' if args.no_flops else ' {:.1f} |'.format(
            sum(
                count_flops(m, tuple(args.flops_shape))['total']
                for m in models) / 1e9)
        got = read_metrics(args.results, configs)
        if key == 'stft':
            single_task_delta_m(got, configs)
        cells = [fmt(got.get(m), m == 'delta_m') for m in columns]
        if args.backbone != 'swin-t' or not dataset['paper']:
            paper = '—'
        print(f'| {name} | {trainable:,} |' + (backbone if mtlora else '') +
              f' {paper} |{flops} ' + ' | '.join(cells) + ' |')
    if not dataset['paper']:
        return
    print()
    for note in protocol['notes']:
        print(note + '  ')
    if args.reported:
        print(f'\nReported in the literature (Swin-T, PASCAL-Context{title})'
              ':\n')
        print('| method | ' + ' | '.join(headers) + ' |')
        print('|---|' + '---:|' * len(headers))
        for key, (name, _, reported) in methods.items():
            if reported:
                print(f'| {name} | ' + ' | '.join(
                    fmt(v, i == 4) for i, v in enumerate(reported)) + ' |')


if __name__ == '__main__':
    run_tool(main)
