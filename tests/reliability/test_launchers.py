"""tools/dist_train.sh (tools/launchers/torchrun.py): a failure ends in one
line naming the failed rank and its error, or the port in use; never
torchrun's ChildFailedError / DistNetworkError traceback."""
import importlib.util
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
from conftest import TOY_MTFT, short_run
from mmpoly_test_utils import REPO

LAUNCHER = osp.join(REPO, 'tools/launchers/torchrun.py')


def _launcher_module():
    spec = importlib.util.spec_from_file_location('mmpoly_torchrun', LAUNCHER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def busy_port():
    """A port a socket of this process listens on."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen()
        yield s.getsockname()[1]


def _run(args, **env):
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1', **env)
    env.pop('MMPOLY_DEBUG', None)
    return subprocess.run(
        args, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def _lines(text):
    return [line for line in text.splitlines() if line.strip()]


def test_port_in_use_is_one_line(busy_port, tmp_path):
    proc = _run(['bash', 'tools/dist_train.sh', TOY_MTFT, '2'],
                PORT=str(busy_port))
    assert proc.returncode == 1
    assert _lines(proc.stderr) == [proc.stderr.strip()]
    line = proc.stderr.strip()
    assert line.startswith(f'error: port {busy_port} is in use')
    assert 'set PORT=' in line


def test_torchrun_own_port_error_is_summarised(busy_port, tmp_path):
    """If the port is taken between the check and torchrun's start,
    torchrun's DistNetworkError traceback is still kept out of sight."""
    launcher = _launcher_module()
    script = tmp_path / 'nothing.py'
    script.write_text('pass\n')
    proc = _run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={busy_port}',
        str(script)
    ])
    assert proc.returncode != 0 and 'DistNetworkError' in proc.stderr
    shown, summary = launcher.StderrFilter('/nonexistent'), \
        launcher.Summary()
    out = []
    for line in proc.stderr.splitlines(keepends=True):
        summary.read(line)
        out += shown.feed(line)
    assert out == [] and shown.held == []
    line = launcher.failure_line([], summary, '2', 'LOG', busy_port)
    assert line.startswith(f'port {busy_port} is in use')


@pytest.mark.e2e
def test_one_rank_failing_is_one_line(own_data, tmp_path):
    """2 gloo processes; one rank reads a truncated training image (4
    images, 2 for each rank)."""
    with open(osp.join(own_data, 'ImageSets/Context/train.txt')) as f:
        first_train_id = f.read().split()[0]
    bad = osp.join(own_data, 'JPEGImages', first_train_id + '.jpg')
    with open(bad, 'r+b') as f:
        f.truncate(100)
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    proc = _run([
        'bash', 'tools/dist_train.sh', TOY_MTFT, '2', '--work-dir',
        str(tmp_path / 'w'), *short_run(own_data)
    ],
                PORT=str(port))
    assert proc.returncode == 1, proc.stderr[-3000:]
    err = proc.stderr
    assert 'Traceback' not in err and 'ChildFailedError' not in err, err
    errors = [line for line in _lines(err) if line.startswith('error: ')]
    assert len(errors) == 1, err
    line = errors[0]
    assert line == _lines(err)[-1]
    assert line.startswith('error: rank ') and '(of 2) failed: ' in line
    assert bad in line
    log = line.split("torchrun's report: ")[1].split(';')[0]
    assert 'ChildFailedError' in open(log).read()
    os.remove(log)
