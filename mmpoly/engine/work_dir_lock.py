"""One training at a time in a work dir: a lock file with the owner's pid."""
import errno
import os
import os.path as osp
import socket
import sys
import time
from typing import Optional

from mmengine.logging import print_log

#: The lock file, in the work dir.
LOCK_NAME = 'train.lock'

try:
    import fcntl
except ImportError:  # Windows: the pid check alone
    fcntl = None  # type: ignore


class WorkDirLockedError(RuntimeError):
    """Another live training holds the work dir."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _read_owner(path: str) -> dict:
    """``pid``, ``host``, ``started``, ``command`` of a lock file (what of
    it could be read)."""
    owner = {}
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            for line in f:
                key, _, value = line.strip().partition('=')
                if key:
                    owner[key] = value
    except OSError:
        pass
    return owner


def _describe(owner: dict) -> str:
    pid, host = owner.get('pid', '?'), owner.get('host', '?')
    text = f'process {pid} on {host}'
    if owner.get('started'):
        text += f', started {owner["started"]}'
    command = owner.get('command', '')
    if command:
        text += ': ' + (
            command if len(command) <= 160 else command[:157] + '...')
    return text


class WorkDirLock:
    """An exclusive lock on a work dir, held by one training process.

    ``<work_dir>/train.lock`` holds the owner's pid, host, start time and
    command line. The lock itself is an ``flock`` on that file, which the
    operating system releases when the process dies, however it dies: a
    lock file left behind by a dead process is taken over (with a log
    line). Where ``flock`` is not available (some network file systems),
    the pid in the file decides: a lock of a dead process on this host is
    taken over; one of another host is refused, since it cannot be
    checked. :meth:`release` (or leaving the ``with`` block, or the end of
    the process) removes the file, and the work dir too when the lock
    created it and nothing else was written there.

    Args:
        work_dir: The work dir (created if missing).
    """

    def __init__(self, work_dir: str) -> None:
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK_NAME)
        self._fd: Optional[int] = None
        self._made_work_dir = False

    def acquire(self) -> 'WorkDirLock':
        """Take the lock.

        Raises:
            WorkDirLockedError: another live training holds it.
        """
        self._made_work_dir = not osp.isdir(self.work_dir)
        os.makedirs(self.work_dir, exist_ok=True)
        for _ in range(10):  # the file can be replaced while we open it
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            owner = _read_owner(self.path)
            if not self._lock(fd, owner):
                os.close(fd)
                raise WorkDirLockedError(
                    f'work dir {self.work_dir} is in use by another '
                    f'training ({_describe(owner)}; lock file {self.path});'
                    ' wait for it to end, or give this run another '
                    '--work-dir')
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # its owner removed it: lock the new file
            time.sleep(0.01)
        else:
            raise WorkDirLockedError(
                f'could not lock work dir {self.work_dir} ({self.path} '
                'keeps being replaced)')
        if owner.get('pid') and owner['pid'] != str(os.getpid()):
            print_log(
                f'{self.path}: taking over the lock of a training that is '
                f'no longer running ({_describe(owner)})', 'current')
        self._fd = fd
        self._write_owner()
        return self

    def _lock(self, fd: int, owner: dict) -> bool:
        """Lock ``fd``; False when another live process holds it."""
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError as e:
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    return False
                # flock not supported here: the pid check below
        pid = owner.get('pid', '')
        if not pid.isdigit() or int(pid) == os.getpid():
            return True
        if owner.get('host') != socket.gethostname():
            return False  # cannot tell whether it still runs
        return not _pid_alive(int(pid))

    def _write_owner(self) -> None:
        text = (f'pid={os.getpid()}\nhost={socket.gethostname()}\n'
                f'started={time.strftime("%Y-%m-%d %H:%M:%S")}\n'
                f'command={" ".join(sys.argv)}\n')
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, text.encode('utf-8'), 0)
        os.fsync(self._fd)

    def release(self) -> None:
        """Remove the lock file and unlock (nothing if not held)."""
        if self._fd is None:
            return
        try:
            if os.fstat(self._fd).st_ino == os.stat(self.path).st_ino:
                os.remove(self.path)
        except OSError:
            pass
        os.close(self._fd)  # releases the flock
        self._fd = None
        if self._made_work_dir:  # a run that stopped before writing
            try:
                os.rmdir(self.work_dir)  # only when empty
            except OSError:
                pass

    def __enter__(self) -> 'WorkDirLock':
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
