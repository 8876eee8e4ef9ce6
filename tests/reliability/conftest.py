"""Fixtures of the bad-input tests: toy data, two trained toy checkpoints,
and :func:`cli`, which runs a command-line tool in this process."""
import logging
import os.path as osp
import runpy
import shutil
import sys
import traceback
from typing import NamedTuple
from unittest import mock

import pytest
from mmpoly_test_utils import REPO, TWO_ITERATIONS, toy_data, toy_options

TOY_POLY = 'configs/toy/polyhistor_swin-mini_toy-pascal.py'
TOY_MTFT = 'configs/toy/mtft_swin-mini_toy-pascal.py'


class ToolResult(NamedTuple):
    """Exit status and output of a tool run by :func:`cli`."""
    code: int
    out: str
    err: str

    @property
    def error_line(self) -> str:
        """The last line on stderr."""
        lines = [line for line in self.err.splitlines() if line.strip()]
        return lines[-1] if lines else ''


def cli(capsys, tool: str, *args: str) -> ToolResult:
    """Run ``tools/<tool>`` as ``python tools/<tool> args...`` would, in
    this process (the same ``__main__`` code path, without starting an
    interpreter), and return its exit status and output."""
    path = osp.join(REPO, tool)
    capsys.readouterr()
    _point_loggers_at_stdout()
    code = 0
    with mock.patch.object(sys, 'argv', [path, *map(str, args)]):
        try:
            runpy.run_path(path, run_name='__main__')
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else int(bool(e.code))
        except Exception:  # noqa: B902 - what the interpreter would print
            code = 1
            sys.stderr.write(traceback.format_exc())
    captured = capsys.readouterr()
    return ToolResult(code, captured.out, captured.err)


def _point_loggers_at_stdout() -> None:
    # MMLogger instances live on between runs (one per experiment name and
    # second); their console handlers still hold the stream of the test
    # that created them
    from mmengine.logging import MMLogger
    for logger in MMLogger._instance_dict.values():
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:
                handler.stream = sys.stdout  # setStream flushes the old


def assert_one_line_error(result: ToolResult, *needles: str) -> str:
    """The run failed with one ``error: ...`` line holding ``needles`` and
    no traceback; returns that line."""
    assert result.code != 0, result.out[-2000:] + result.err[-2000:]
    assert 'Traceback' not in result.err, result.err[-3000:]
    line = result.error_line
    assert line.startswith('error: '), result.err[-3000:]
    for needle in needles:
        assert needle in line, line
    return line


@pytest.fixture(scope='session')
def data_root(tmp_path_factory):
    """Toy PASCAL-Context MT data: 4 train, 3 val 64 px images."""
    return toy_data(tmp_path_factory, 'reliability', num_train=4, num_val=3)


@pytest.fixture
def own_data(data_root, tmp_path):
    """A copy of the toy data the test may break."""
    root = str(tmp_path / 'data')
    shutil.copytree(data_root, root)
    return root


def short_run(root: str, **extra) -> list:
    """``--cfg-options`` of a two-iteration toy run on ``root``."""
    return toy_options(root, **{**TWO_ITERATIONS, **extra})


def semseg_png(root: str, img_id: str) -> str:
    """The semseg label file of ``img_id`` (VOC12 or pascal-context)."""
    for sub in ('VOC12', 'pascal-context'):
        path = osp.join(root, 'semseg', sub, img_id + '.png')
        if osp.isfile(path):
            return path
    raise AssertionError(img_id)


def first_val_id(root: str) -> str:
    with open(osp.join(root, 'ImageSets/Context/val.txt')) as f:
        return f.read().split()[0]


@pytest.fixture(scope='session')
def trained(tmp_path_factory, data_root):
    """Checkpoints of two-iteration toy trainings: ``poly`` (Polyhistor,
    adapter-only), ``poly_rank8`` (Polyhistor with rank 8) and ``mtft``."""

    class _Capsys:  # the session fixture cannot use pytest's capsys

        def readouterr(self):
            return mock.Mock(out='', err='')

    out = {}
    for name, config, extra in (('poly', TOY_POLY, {}),
                                ('poly_rank8', TOY_POLY, {
                                    'model.backbone.tuner.rank': 8
                                }), ('mtft', TOY_MTFT, {})):
        work = str(tmp_path_factory.mktemp(f'work_{name}'))
        result = cli(_Capsys(), 'tools/train.py', config, '--work-dir', work,
                     *short_run(data_root, **extra))
        assert result.code == 0, name
        out[name] = osp.join(work, 'iter_2.pth')
        assert osp.isfile(out[name])
    return out
