"""Local files written atomically: complete or absent, never half-written.

MMEngine's ``LocalBackend.put`` opens the target and writes into it, so a
training killed while saving a checkpoint leaves a truncated ``iter_N.pth``
behind. :func:`~mmpoly.engine.install_file_backends` (called by
:class:`~mmpoly.engine.MultiTaskRunner` and the tools; ``import mmpoly``
does not) registers :class:`AtomicLocalBackend` for local paths instead:
it writes into a temporary file in the same folder, flushes it to disk and
renames it over the target (``os.replace`` is atomic on POSIX and
Windows), so a reader sees the old file, no file, or the whole new one. A
failed write (full disk, no rights) raises :class:`FileWriteError`, which
names the target file.
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

import mmengine
from mmengine.fileio.backends import LocalBackend


class FileWriteError(OSError):
    """An :class:`OSError` while writing ``filename`` (the target, not the
    temporary file): ``cannot write <file>: <reason> [Errno N]``."""

    def __str__(self) -> str:
        return (f'cannot write {self.filename}: {self.strerror} '
                f'[Errno {self.errno}]')


def write_atomically(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` through a temporary file and a rename.

    The temporary file is ``.<name>.<random>.tmp`` beside the target and is
    removed if writing fails.

    Raises:
        FileWriteError: if the folder, the temporary file or the rename
            fails (e.g. ``[Errno 28]`` on a full disk), naming
            ``filepath``.
    """
    filepath = str(filepath)
    try:
        _write_atomically(data, filepath)
    except OSError as e:
        if e.errno is None:
            raise
        raise FileWriteError(e.errno, e.strerror, filepath) from e


def _write_atomically(data: bytes, filepath: str) -> None:
    folder = osp.dirname(filepath) or '.'
    mmengine.mkdir_or_exist(folder)
    fd, tmp = tempfile.mkstemp(
        prefix=f'.{osp.basename(filepath)}.', suffix='.tmp', dir=folder)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class AtomicLocalBackend(LocalBackend):
    """:class:`mmengine.fileio.LocalBackend` whose ``put`` and ``put_text``
    are atomic (see :func:`write_atomically`)."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        write_atomically(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        write_atomically(obj.encode(encoding), filepath)
