"""Evaluate a checkpoint; optionally write predictions and metrics.json.

Example:
    python tools/test.py configs/polyhistor_swin-t.py \
        work_dirs/x/iter_40000.pth --out results/polyhistor_swin-t
writes every prediction in its task's file format to
results/polyhistor_swin-t/<task>/<img_id>.<ext> (index PNGs for segmentation
tasks, 8-bit probability PNGs for saliency and edges, RGB-encoded normals like
normals_distill, .npy metres for depth) and
results/polyhistor_swin-t/metrics.json, and lists every file it wrote in
results/polyhistor_swin-t/.mmpoly-manifest.json: --overwrite removes only
those. A folder holding other files and no manifest, or a data root, is
refused. --show-dir DIR writes one panel per image (the image, then each
task's ground truth and prediction).
"""
import argparse
import json
import math
import os
import os.path as osp

from mmengine.dist import is_main_process

import mmpoly  # noqa: F401  (registers mmpoly's modules)
from mmpoly.engine import install_file_backends
from mmpoly.testing.output_dir import (MANIFEST, finish_manifest,
                                       prepare_results_dir)
from mmpoly.utils import check_data_roots, finish_distributed, process_rank
from mmpoly.utils.data_checks import configured_data_roots
from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import (add_runner_args, add_strict_arg,
                                    build_runner, load_runner_config)


def parse_args():
    parser = argparse.ArgumentParser(description='Test a multi-task model')
    parser.add_argument('config', help='config file (or its short name)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out',
        help='directory for predictions (<task>/<img_id>.<ext>) and '
        'metrics.json')
    parser.add_argument(
        '--show-dir',
        help='directory for one panel per image (<img_id>.png: the image, '
        'then each task\'s ground truth and prediction)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='--out DIR already holds the results of an earlier run: remove '
        'the files its manifest (.mmpoly-manifest.json) lists instead of '
        'refusing; other files are kept')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed-precision inference (test_cfg.fp16=True: bfloat16 on a '
        'CPU, float16 on a GPU; predictions and metrics stay float32)')
    add_runner_args(parser)
    add_strict_arg(parser, 'the one tested')
    return parser.parse_args()


def set_output_dir(evaluator_cfg, out_dir: str) -> None:
    """Point every MultiTaskMetric of the evaluator config at ``out_dir``."""
    cfgs = evaluator_cfg if isinstance(evaluator_cfg,
                                       list) else [evaluator_cfg]
    found = False
    for cfg in cfgs:
        if cfg.get('type') == 'MultiTaskMetric':
            cfg['output_dir'] = out_dir
            found = True
    if not found:
        raise ValueError('--out needs a MultiTaskMetric in test_evaluator')


def json_metrics(metrics: dict) -> dict:
    """Metrics as JSON values: an undefined (NaN or None) metric is null."""
    out = {}
    for key, value in metrics.items():
        value = None if value is None else float(value)
        out[key] = None if value is None or math.isnan(value) else value
    return out


def main():
    args = parse_args()
    install_file_backends()  # atomic writes, safe checkpoint loading
    cfg = load_runner_config(args)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} not found')
    cfg.load_from = args.checkpoint
    if args.amp:  # MMEngine's TestLoop runs the model under its autocast
        cfg.test_cfg.fp16 = True
    before = None
    if args.out:
        # the process group is not up yet: the launcher's RANK says which
        # process prepares the folder (the others must not see its manifest)
        if process_rank(args.launcher) == 0:
            before = prepare_results_dir(
                args.out,
                configured_data_roots(cfg),
                args.overwrite,
                result_folders=cfg.get('tasks') or {})
        set_output_dir(cfg.test_evaluator, args.out)
    if args.show_dir:
        hooks = cfg.setdefault('default_hooks', {})
        hook = hooks.setdefault('visualization',
                                dict(type='MultiTaskVisualizationHook'))
        hook.update(draw=True, show_dir=args.show_dir)
    check_data_roots(cfg, ('test', ))

    runner = build_runner(cfg)
    metrics = runner.test()
    if args.out and is_main_process():
        os.makedirs(args.out, exist_ok=True)
        path = osp.join(args.out, 'metrics.json')
        with open(path, 'w') as f:
            json.dump(
                dict(
                    config=args.config,
                    checkpoint=args.checkpoint,
                    metrics=json_metrics(metrics)),
                f,
                indent=2,
                allow_nan=False)
        print(f'metrics written to {path}')
        written = finish_manifest(args.out, before or set())
        print(f'{len(written)} file(s) listed in '
              f'{osp.join(args.out, MANIFEST)}')
    finish_distributed()


if __name__ == '__main__':
    run_tool(main)
