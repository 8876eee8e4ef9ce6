"""Data-loading throughput of a config's training pipeline.

Builds the config's train data set and pipeline (with ``--data-root``, at
another copy of the data, e.g. a synthetic one) and times ``dataset[i]`` in
this process, set up as a dataloader worker (one PyTorch thread, the
config's OpenCV threads): images per second of one worker, and the cost of
each transform (file decoding, the ``.mat`` label maps and human parts of
PASCAL-Context, resizing...). With ``--workers``, also what a DataLoader
with that many workers delivers (a second pass, the workers started). Give
the training step's images per second (``train img/s`` of
``tools/analysis/benchmark.py``) as ``--target-img-s`` to get the number of
workers that keeps up with it.

Examples:
    python tools/analysis/benchmark_data.py configs/polyhistor_swin-t.py \
        --num-images 200 --workers 0 2 4
    python tools/misc/generate_toy_nyud_mt.py /tmp/nyud --size 640
    python tools/analysis/benchmark_data.py \
        configs/nyud/polyhistor_swin-t_nyud.py --data-root /tmp/nyud
"""
import argparse
import json
import sys

from mmpoly.utils.cli import run_tool
from mmpoly.utils.dict_action import DictAction
from mmpoly.utils.tool_args import add_debug_arg, check_sizes


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[2:]))
    parser.add_argument('config', help='config file (or its short name)')
    parser.add_argument(
        '--num-images',
        type=int,
        default=50,
        help='images to time (cycling through the data set)')
    parser.add_argument(
        '--warmup', type=int, default=2, help='untimed images first')
    parser.add_argument(
        '--data-root',
        help='read the data from here instead of the config\'s data_root')
    parser.add_argument(
        '--workers',
        type=int,
        nargs='+',
        default=[],
        help='also time a DataLoader with each of these numbers of workers')
    parser.add_argument(
        '--batch',
        type=int,
        help='DataLoader batch size (default: the config\'s '
        'train_dataloader.batch_size)')
    parser.add_argument(
        '--target-img-s',
        type=float,
        help='training images per second to feed: prints the workers '
        'needed')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    parser.add_argument(
        '--json', action='store_true', help='print the results as JSON')
    add_debug_arg(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    check_sizes('--num-images', [args.num_images])
    check_sizes('--warmup', [args.warmup], 0, 'a whole number >= 0')
    if args.batch is not None:
        check_sizes('--batch', [args.batch])
    if args.target_img_s is not None and not args.target_img_s > 0:
        raise ValueError(f'--target-img-s {args.target_img_s}: expected a '
                         'positive number of images per second')
    from mmpoly.utils.data_throughput import (
        act_as_worker, build_dataset, check_worker_counts, collate_function,
        loader_images_per_s, time_pipeline, train_loader_config,
        workers_needed)
    check_worker_counts(args.workers)
    loader_cfg, mp_cfg = train_loader_config(args.config, args.data_root,
                                             args.cfg_options)
    dataset = build_dataset(loader_cfg['dataset'])
    act_as_worker(mp_cfg)
    print(
        f'timing {args.num_images} images of {type(dataset).__name__} '
        f'({len(dataset)} images) ...',
        file=sys.stderr,
        flush=True)
    timing = time_pipeline(dataset, args.num_images, args.warmup)
    batch = args.batch or loader_cfg.get('batch_size', 1)
    loaders = []
    for k in args.workers:
        print(
            f'timing a DataLoader with {k} workers ...',
            file=sys.stderr,
            flush=True)
        loaders.append(
            dict(
                workers=k,
                images_per_s=loader_images_per_s(dataset,
                                                 collate_function(loader_cfg),
                                                 k, batch, args.num_images)))
    needed = None
    if args.target_img_s is not None:
        needed = workers_needed(args.target_img_s, timing.images_per_s)
    root = args.data_root or loader_cfg['dataset'].get('data_root')
    if args.json:
        print(
            json.dumps(
                dict(
                    config=args.config,
                    data_root=root,
                    dataset_images=len(dataset),
                    images=timing.images,
                    images_per_s_per_worker=timing.images_per_s,
                    ms_per_image=1000 * timing.seconds / timing.images,
                    transforms_ms={
                        n: 1000 * s
                        for n, s in timing.transforms
                    },
                    other_ms=1000 * timing.other_s,
                    batch=batch,
                    loaders=loaders,
                    target_img_s=args.target_img_s,
                    workers_needed=needed),
                indent=2))
        return
    per_image = 1000 * timing.seconds / timing.images
    print(f'{args.config}: train data set {type(dataset).__name__} at {root} '
          f'({len(dataset)} images); {timing.images} images timed after '
          f'{args.warmup} warm-up')
    print(f'one process (one worker): {timing.images_per_s:.1f} images/s '
          f'per worker ({per_image:.1f} ms per image)')
    width = max(len(n) for n, _ in timing.transforms + [('other', 0)])
    for name, seconds in timing.transforms + [('other', timing.other_s)]:
        share = 100 * 1000 * seconds / per_image
        print(f'  {name:<{width}}  {1000 * seconds:8.2f} ms  {share:5.1f} %')
    if loaders:
        print(f'DataLoader, batch {batch} (persistent workers; the second '
              'of two passes timed):')
        print('  workers  images/s  per worker')
        for r in loaders:
            per = r['images_per_s'] / max(1, r['workers'])
            print(f'  {r["workers"]:<7}  {r["images_per_s"]:8.1f}  '
                  f'{per:10.1f}')
    if needed is not None:
        print(f'to feed {args.target_img_s:g} training images/s: '
              f'num_workers >= {needed} (at {timing.images_per_s:.1f} '
              'images/s per worker)')


if __name__ == '__main__':
    run_tool(main)
