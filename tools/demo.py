"""The embedded demo: train on generated toy data, evaluate, compare.

By default: Polyhistor (on a frozen small Swin) next to multi-task full
fine-tuning. For each config: evaluate the untrained model, train it,
evaluate the trained model, and print each task's primary metric, Δm and the
trainable parameters. A config's toy data set is generated first if it is
missing.

Example:
    python tools/demo.py                        # the default toy configs
    python tools/demo.py configs/toy/mtft_swin-mini_toy-pascal.py --iters 100
    python tools/demo.py configs/toy/polyhistor_swin-mini_toy-nyud.py
"""
import argparse
import logging
import os.path as osp

import mmcv
import torch
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger

import mmpoly  # noqa: F401
from mmpoly.engine import install_file_backends
from mmpoly.tasks import build_tasks
from mmpoly.testing import TOY_GENERATORS
from mmpoly.utils import count_parameters, load_config
from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_debug_arg, build_runner
from mmpoly.visualization.curves import load_scalars, plot_curves

DEFAULT_CONFIGS = ('configs/toy/polyhistor_swin-mini_toy-pascal.py',
                   'configs/toy/mtft_swin-mini_toy-pascal.py')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='*', default=list(DEFAULT_CONFIGS))
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--data-root',
        help='toy data set root (default: each config\'s own data_root)')
    parser.add_argument('--iters', type=int, help='override max_iters')
    add_debug_arg(parser)
    return parser.parse_args()


def load_cfg(config: str, work_dir: str, data_root=None, iters=None):
    options = {
        f'{phase}_dataloader.dataset.data_root': data_root
        for phase in ('train', 'val', 'test')
    } if data_root else None
    cfg = load_config(config, options)
    cfg.work_dir = work_dir
    if iters is not None:  # shrink the whole schedule proportionally
        scale = iters / cfg.train_cfg.max_iters
        for sched in cfg.param_scheduler:
            sched.begin = int(sched.get('begin', 0) * scale)
            sched.end = max(sched.begin + 1, int(sched.end * scale))
        cfg.train_cfg.max_iters = iters
        cfg.train_cfg.val_interval = iters
        # log often enough that a short run still has a loss curve
        logger = cfg.default_hooks.logger
        logger.interval = max(1, min(logger.interval, iters // 4))
    cfg.log_level = 'WARNING'
    return cfg


def run(config: str, args) -> dict:
    name = osp.splitext(osp.basename(config))[0]
    work_dir = osp.join(args.work_dir, name)
    cfg = load_cfg(config, work_dir, args.data_root, args.iters)
    dataset = cfg.train_dataloader.dataset
    if not osp.isdir(dataset.data_root):
        print(f'[demo] generating toy data in {dataset.data_root}', flush=True)
        TOY_GENERATORS[dataset.type](dataset.data_root)
    print(f'[demo] {name}: evaluating the untrained model ...', flush=True)
    cfg.visualizer.name = f'{name}_untrained'
    runner = build_runner(cfg.copy())
    trainable, _ = count_parameters(runner.model)
    before = runner.test()
    print(
        f'[demo] {name}: training {cfg.train_cfg.max_iters} iterations '
        f'({trainable:,} trainable parameters) ...',
        flush=True)
    cfg.visualizer.name = f'{name}_trained'
    runner = build_runner(cfg.copy())
    runner.train()
    print(f'[demo] {name}: evaluating the trained model ...', flush=True)
    after = runner.test()
    return dict(
        name=name,
        trainable=trainable,
        before=before,
        after=after,
        tasks=build_tasks(cfg.tasks),
        pictures=draw_pictures(runner, work_dir))


def draw_pictures(runner, work_dir: str) -> list:
    """A panel of the first validation image (ground truth and prediction)
    and the training loss curve of ``runner``'s run."""
    sample = runner.test_dataloader.dataset[0]
    with torch.no_grad():
        pred = runner.model.test_step(pseudo_collate([sample]))[0]
    image = mmcv.imread(  # as stored, like the labels (no EXIF rotation)
        pred.img_path, 'color_ignore_orientation', channel_order='rgb')
    panel = osp.join(work_dir, 'panel_val.png')
    runner.visualizer.add_datasample('val', image, pred, out_file=panel)
    scalars = osp.join(runner.log_dir, 'vis_data', 'scalars.json')
    curve = plot_curves(
        load_scalars([scalars]), ['loss'],
        osp.join(work_dir, 'loss_curve.png'),
        title=osp.basename(work_dir))
    return [panel, curve]


def columns(rows):
    """(metric key, header) of every task's primary metric, then Δm."""
    cols = {}
    for r in rows:
        for name, task in r['tasks'].items():
            arrow = '↑' if task.higher_is_better else '↓'
            cols[f'{name}/{task.primary_metric}'] = \
                f'{name} {task.primary_metric}{arrow}'
    cols['delta_m'] = 'Δm%'
    return list(cols.items())


def print_table(rows) -> None:
    cols = columns(rows)
    header = ['model', 'state', 'trainable'] + [c[1] for c in cols]
    lines = []
    for r in rows:
        for state in ('before', 'after'):
            m = r[state]
            lines.append([
                r['name'], 'untrained' if state == 'before' else 'trained',
                f'{r["trainable"]:,}'
            ] + [f'{m[k]:.2f}' if k in m else '-' for k, _ in cols])
    widths = [max(len(x) for x in col) for col in zip(header, *lines)]
    fmt = '  '.join('{:<%d}' % w for w in widths)
    print()
    print(fmt.format(*header))
    for line in lines:
        print(fmt.format(*line))
    print('\nmIoU, maxF and odsF in %, normals mean angular error in degrees, '
          'depth RMSE in metres (↑ higher / ↓ lower is better). Δm is '
          'against the tasks\' delta_m_reference (the PASCAL toy configs '
          'use the PASCAL-Context Swin-T single-task references; "-" where '
          'a task has none); on toy data only the comparison between rows '
          'is meaningful.')


def main():
    args = parse_args()
    install_file_backends()  # atomic writes, safe checkpoint loading
    MMLogger.get_instance('mmengine').setLevel(logging.WARNING)
    rows = [run(config, args) for config in args.configs]
    print_table(rows)
    print('\npictures (a validation panel: ground truth above prediction; '
          'the training loss):')
    for r in rows:
        for path in r['pictures']:
            print(f'  {path}')


if __name__ == '__main__':
    run_tool(main)
