"""Run one mmpoly tool under torchrun and end a failure in one line.

    python tools/launchers/torchrun.py TOOL.py NUM_PROCS [tool arguments...]

(what ``tools/dist_train.sh`` and ``tools/dist_test.sh`` run). Environment:
NNODES, NODE_RANK, PORT (default 29500), MASTER_ADDR (default 127.0.0.1).

- Before starting torchrun, a port another process listens on is refused:
  ``error: port N is in use ...; set PORT= to a free port, e.g. PORT=M``
  (on node 0, which opens it).
- The ranks' output streams through as it comes; torchrun's own log lines
  and its ``ChildFailedError`` report are kept in a log file instead. When
  a rank fails, the launcher prints one line naming the rank and the error
  line the tool wrote (``$MMPOLY_ERROR_DIR/rank<R>.txt``, see
  :func:`mmpoly.utils.cli.run_tool`) and the log file, and exits with
  torchrun's status.
- ``--debug`` among the tool's arguments or ``MMPOLY_DEBUG=1`` runs
  torchrun untouched (all its output, the ranks' tracebacks).

Standard library only: it starts in milliseconds, before any rank.
"""
import errno
import glob
import os
import os.path as osp
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from typing import List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: torch's log lines (``W1205 20:41:03.123000 1234 path.py:99] ...``).
TORCH_LOG = re.compile(r'^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ \S+:\d+\] ')

#: torchrun's OMP_NUM_THREADS notice (a block between lines of stars).
OMP_NOTICE = re.compile(r'^(\*+|Setting OMP_NUM_THREADS environment .*|)$')

#: torchrun's line when it sees a rank fail.
RANK_FAILED = re.compile(
    r'failed \(exitcode: (-?\d+)\) local_rank: (\d+) \(pid: \d+\)')

#: The failing rank and its exit code in torchrun's final report.
REPORT_RANK = re.compile(r'^\s*rank\s*: (\d+) \(local_rank: \d+\)')
REPORT_EXIT = re.compile(r'^\s*exitcode\s*: (-?\d+)')

#: The error of a port already in use (TCPStore's and Python's).
PORT_IN_USE = re.compile(r'EADDRINUSE|address already in use', re.I)


def fail(message: str, code: int = 1) -> None:
    """Print ``error: message`` on stderr and exit with ``code``."""
    print(f'error: {message}', file=sys.stderr, flush=True)
    sys.exit(code)


def debug_requested(tool_args: List[str]) -> bool:
    """``--debug`` among the tool's arguments, or ``MMPOLY_DEBUG`` set."""
    return '--debug' in tool_args or os.environ.get('MMPOLY_DEBUG',
                                                    '') not in ('', '0')


def port_in_use(port: int) -> bool:
    """Whether a process listens on ``port`` (binding it fails)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(('', port))
        except OSError as e:
            return e.errno == errno.EADDRINUSE
    return False


def free_port_near(port: int) -> Optional[int]:
    """The first free port above ``port`` (200 tried), or None."""
    for candidate in range(port + 1, min(port + 200, 65536)):
        if not port_in_use(candidate):
            return candidate
    return None


def port_message(port: int) -> str:
    """The one line for a ``port`` that is in use, with a free one."""
    free = free_port_near(port)
    example = f', e.g. PORT={free}' if free else ''
    return (f'port {port} is in use (another distributed run on this '
            f'machine?); set PORT= to a free port{example}')


def read_port() -> int:
    """``$PORT`` (default 29500), checked to be a port number."""
    value = os.environ.get('PORT', '29500')
    if not value.isdigit() or not 0 < int(value) < 65536:
        fail(f'PORT={value}: a port number (1-65535) expected')
    return int(value)


def torchrun_command(tool: str, nproc: str, tool_args: List[str],
                     port: int) -> List[str]:
    """The torchrun command line running ``tool`` on ``nproc`` processes."""
    path = tool if osp.isfile(tool) else osp.join(REPO, 'tools', tool)
    return [
        sys.executable, '-m', 'torch.distributed.run',
        f'--nnodes={os.environ.get("NNODES", "1")}',
        f'--node_rank={os.environ.get("NODE_RANK", "0")}',
        f'--master_addr={os.environ.get("MASTER_ADDR", "127.0.0.1")}',
        f'--nproc_per_node={nproc}', f'--master_port={port}', path, *tool_args,
        '--launcher', 'pytorch'
    ]


class Summary:
    """What torchrun's own output says about a failure."""

    def __init__(self) -> None:
        self.rank: Optional[str] = None
        self.exitcode: Optional[str] = None
        self.port_in_use = False
        self.interrupted = False

    def read(self, line: str) -> None:
        """Take what ``line`` of torchrun's output says of a failure."""
        m = RANK_FAILED.search(line)
        if m:
            self.exitcode = self.exitcode or m.group(1)
        for pattern, attr in ((REPORT_RANK, 'rank'), (REPORT_EXIT,
                                                      'exitcode')):
            m = pattern.match(line)
            if m and attr == 'rank':
                self.rank = m.group(1)
            elif m:
                self.exitcode = m.group(1)
        if PORT_IN_USE.search(line):
            self.port_in_use = True


def rank_errors(folder: str) -> List[tuple]:
    """``(rank, line)`` the ranks wrote, the first failure first."""
    found = []
    for path in glob.glob(osp.join(folder, 'rank*.txt')):
        with open(path) as f:
            line = f.read().strip()
        if line:
            rank = osp.basename(path)[4:-4]
            found.append((os.stat(path).st_mtime_ns, rank, line))
    return [(rank, line) for _, rank, line in sorted(found)]


def failure_line(errors: List[tuple], summary: Summary, nproc: str, log: str,
                 port: int) -> str:
    """The one line that says which rank failed and why."""
    where = f"torchrun's report: {log}; --debug shows everything"
    if errors:
        first_rank, first = errors[0]
        same = [r for r, line in errors if line == first]
        who = (f'rank {first_rank}' if len(same) == 1 else 'ranks ' +
               ', '.join(sorted(same, key=int)))
        others = sorted((r for r, line in errors if line != first), key=int)
        more = ''
        if others:
            more = (f'; rank{"s" if len(others) > 1 else ""} '
                    f'{", ".join(others)} failed after it')
        message = re.sub(r'^error: ', '', first)
        message = message.replace('; --debug shows the traceback)', ')')
        of = f'of {nproc}' if os.environ.get('NNODES', '1') == '1' else \
            f'of {nproc} per node'
        return f'{who} ({of}) failed: {message}{more}; {where}'
    if summary.port_in_use:
        return port_message(port)
    rank = f'rank {summary.rank}' if summary.rank else 'a rank'
    code = summary.exitcode
    how = ''
    if code is not None and code.lstrip('-').isdigit():
        how = (f' with exit code {code}'
               if int(code) >= 0 else f' killed by signal {-int(code)}')
    return (f'{rank} failed{how} without an error line (its output is '
            f'above; {where})')


class StderrFilter:
    """Which lines of torchrun's stderr (where the ranks write too) to
    show: not torchrun's log lines, its OMP_NUM_THREADS notice, its own
    tracebacks (``ChildFailedError``, ``DistNetworkError``) nor the ranks'
    ``error:`` lines (the launcher summarises them)."""

    def __init__(self, errors_dir: str) -> None:
        self.errors_dir = errors_dir
        self.held: List[str] = []  # a traceback not yet known to be whose
        self.torchrun_traceback = False

    def feed(self, line: str) -> List[str]:
        """The lines to show now, given the next ``line``."""
        if self.torchrun_traceback:
            return []  # torchrun ends with its traceback and report
        if line.startswith('Traceback (most recent call last)') and \
                not self.held:
            self.held = [line]
            return []
        if self.held:
            self.held.append(line)
            frame = line.strip()
            if not frame.startswith('File ') or '<frozen runpy>' in frame:
                return []
            held, self.held = self.held, []
            if re.search(r'torch[/\\]distributed[/\\]run\.py', frame):
                self.torchrun_traceback = True
                return []
            return held  # a rank's traceback
        if TORCH_LOG.match(line) or OMP_NOTICE.match(line.rstrip('\n')):
            return []
        if line.startswith('error: ') and any(
                line.strip() == err
                for _, err in rank_errors(self.errors_dir)):
            return []
        return [line]


def run_filtered(cmd: List[str], errors_dir: str, log_path: str,
                 summary: Summary) -> int:
    """Run ``cmd``; stream the ranks' stderr, keep all of it in
    ``log_path`` (see :class:`StderrFilter`). Returns torchrun's exit
    status (130 after Ctrl-C)."""
    env = dict(os.environ, MMPOLY_ERROR_DIR=errors_dir)
    proc = subprocess.Popen(
        cmd, stderr=subprocess.PIPE, env=env, text=True, errors='replace')
    shown = StderrFilter(errors_dir)
    with open(log_path, 'w') as log:
        try:
            for line in proc.stderr:
                log.write(line)
                summary.read(line)
                for out in shown.feed(line):
                    sys.stderr.write(out)
                sys.stderr.flush()
        except KeyboardInterrupt:  # torchrun got it too and stops the ranks
            summary.interrupted = True
        while True:
            try:
                code = proc.wait()
                break
            except KeyboardInterrupt:
                summary.interrupted = True
        sys.stderr.writelines(shown.held)
        return 130 if summary.interrupted else code


def main(argv: List[str]) -> int:
    """``torchrun.py TOOL NPROC [ARGS...]``: the exit status."""
    if len(argv) < 2:
        fail('usage: torchrun.py TOOL.py NUM_PROCS [tool arguments...]')
    tool, nproc, tool_args = argv[0], argv[1], argv[2:]
    if not nproc.isdigit() or int(nproc) < 1:
        fail(f'NUM_PROCS {nproc!r}: a positive whole number expected (the '
             'processes per node, e.g. the number of GPUs)')
    port = read_port()
    if os.environ.get('NODE_RANK', '0') == '0' and port_in_use(port):
        fail(port_message(port))
    cmd = torchrun_command(tool, nproc, tool_args, port)
    if debug_requested(tool_args):
        return subprocess.call(cmd)
    errors_dir = tempfile.mkdtemp(prefix='mmpoly-ranks-')
    fd, log_path = tempfile.mkstemp(prefix='mmpoly-torchrun-', suffix='.log')
    os.close(fd)
    summary = Summary()
    try:
        code = run_filtered(cmd, errors_dir, log_path, summary)
        errors = rank_errors(errors_dir)
    finally:
        shutil.rmtree(errors_dir, ignore_errors=True)
    if code == 0 or summary.interrupted:
        os.remove(log_path)
        return code
    print(
        'error: ' + failure_line(errors, summary, nproc, log_path, port),
        file=sys.stderr,
        flush=True)
    return code if code > 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
