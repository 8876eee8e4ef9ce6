"""Command-line arguments and config loading shared by the tools."""
import argparse
import os
import os.path as osp
from typing import Sequence

from mmengine.config import Config

from .cli import note_output_dir
from .config_loading import load_config
from .dict_action import DictAction
from .dist_backend import adapt_dist_backend


def add_runner_args(parser: argparse.ArgumentParser) -> None:
    """``--work-dir``, ``--cfg-options``, ``--launcher``, ``--local-rank``,
    ``--debug``."""
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value (quote a value with '
        'spaces as one argument: "key=/data/my data")')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_debug_arg(parser)


def add_debug_arg(parser: argparse.ArgumentParser) -> None:
    """``--debug``: show the full traceback of an error (see
    :func:`mmpoly.utils.cli.run_tool`)."""
    parser.add_argument(
        '--debug',
        action='store_true',
        help='on an error, show the full traceback instead of one line')


def add_strict_arg(parser: argparse.ArgumentParser, what: str) -> None:
    """``--strict`` (default) / ``--no-strict``: whether a checkpoint that
    is not the config's model (see
    :func:`~mmpoly.engine.check_checkpoint_fits`) is refused."""
    parser.add_argument(
        '--strict',
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f'refuse a checkpoint ({what}) that lacks a trainable tensor '
        'of the model or holds tensors it does not have (default); '
        '--no-strict only warns')


def add_toy_data_args(parser: argparse.ArgumentParser, size: int,
                      size_help: str) -> None:
    """The arguments of the toy data generators: ``out_dir``, ``--train``,
    ``--val``, ``--size``, ``--seed``, ``--overwrite``, ``--debug``."""
    parser.add_argument('out_dir', help='root of the data set to create')
    for name, default in (('train', 64), ('val', 32)):
        parser.add_argument(
            f'--{name}',
            type=int,
            default=default,
            help=f'number of {name} images')
    parser.add_argument('--size', type=int, default=size, help=size_help)
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='write into a non-empty directory')
    add_debug_arg(parser)


def add_shape_arg(parser: argparse.ArgumentParser, flag: str,
                  help: str) -> None:
    """``flag H W``: an input size, 448 x 448 by default (check it with
    :func:`check_sizes`)."""
    parser.add_argument(
        flag,
        type=int,
        nargs=2,
        default=(448, 448),
        metavar=('H', 'W'),
        help=help)


def check_sizes(flag: str,
                values: Sequence[int],
                minimum: int = 1,
                what: str = 'a positive whole number') -> None:
    """Refuse a size or count argument below ``minimum``.

    Raises:
        ValueError: naming the flag, the values given and what was
            expected, e.g. ``--shape 0 64: each value must be a positive
            whole number (got 0)``.
    """
    values = list(values)
    for value in values:
        if value < minimum:
            given = ' '.join(str(v) for v in values)
            raise ValueError(f'{flag} {given}: each value must be {what} '
                             f'(got {value})')


def load_runner_config(args: argparse.Namespace) -> Config:
    """The config of ``args.config`` with the runner arguments applied.

    Resolves short config names, merges ``--cfg-options``, gives the
    config's ``tasks`` to its components, sets the launcher
    and the work dir (default ``work_dirs/<config name>``), and prepares the
    distributed backend for the machine (gloo without CUDA).
    """
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    if not getattr(args, 'strict', True):
        cfg.checkpoint_strict = False
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    note_output_dir(cfg.work_dir)
    adapt_dist_backend(cfg)
    return cfg


def build_runner(cfg: Config):
    """The config's runner: ``runner_type`` (mmpoly's configs:
    :class:`~mmpoly.engine.MultiTaskRunner`) or MMEngine's ``Runner``, as
    MMSegmentation's tools do."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
