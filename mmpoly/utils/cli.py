"""How mmpoly's command-line tools end on an error: one clear line."""
import errno
import os
import os.path as osp
import re
import sys
from typing import Callable, List, Optional

from .error_hints import unexpected_argument_hint, unknown_type_hint

#: MMEngine's registry prefixes every error raised while building a module
#: with "class `X` in module: "; the innermost message is the useful one.
_BUILD_PREFIX = re.compile(r'^(class `[\w.]+` in [\w./\\:-]+: )+')

#: Where the running tool writes (its work dir, ``--out``), newest last:
#: named by an error on writing that does not say which file it was.
_OUTPUT_DIRS: List[str] = []

#: Errors of a full or read-only disk, or of missing rights: raised by a
#: write whose file the error may not name.
_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES,
                 errno.EPERM, errno.EFBIG, errno.EIO)

#: Environment variable of the folder where each rank of a distributed
#: run launched by ``tools/launchers/torchrun.py`` leaves its error line.
ERROR_DIR_ENV = 'MMPOLY_ERROR_DIR'


def debug_requested() -> bool:
    """``--debug`` on the command line or ``MMPOLY_DEBUG=1``."""
    return '--debug' in sys.argv or os.environ.get('MMPOLY_DEBUG',
                                                   '') not in ('', '0')


def note_output_dir(path: str) -> None:
    """Record that the running tool writes under ``path`` (an error on
    writing that names no file then names this folder)."""
    path = osp.abspath(path)
    if path in _OUTPUT_DIRS:
        _OUTPUT_DIRS.remove(path)
    _OUTPUT_DIRS.append(path)


def _os_error_message(exc: OSError) -> Optional[str]:
    """``exc`` with the file it concerns (or, for a write error naming none,
    the folder the tool writes to), or None to use ``str(exc)``."""
    if type(exc).__str__ is not OSError.__str__:
        return None  # a message of its own
    if exc.errno is None or not exc.strerror:
        return None
    code = f'[Errno {exc.errno}]'
    if exc.filename is not None:
        other = f' -> {exc.filename2}' if exc.filename2 is not None else ''
        return f'{exc.filename}{other}: {exc.strerror} {code}'
    if exc.errno in _WRITE_ERRNOS and _OUTPUT_DIRS:
        return (f'{exc.strerror} {code} while writing under '
                f'{_OUTPUT_DIRS[-1]}')
    return None


def error_message(exc: BaseException) -> str:
    """The message of ``exc`` without the wrappers around it.

    Errors re-raised from a dataloader worker carry the worker's traceback
    in their message: only its last line (the original error) is kept.
    MMEngine's "class `X` in module:" build prefixes are dropped; unknown
    registry types and unexpected config keys are rephrased with the
    closest valid names (:mod:`mmpoly.utils.error_hints`). The result is
    one line. An :class:`OSError` names its file, or, when it names none
    and comes from a write, the folder the tool writes to (see
    :func:`note_output_dir`).
    """
    msg = str(exc)
    if isinstance(exc, OSError):
        msg = _os_error_message(exc) or msg
    if 'Original Traceback' in msg:
        lines = [line for line in msg.splitlines() if line.strip()]
        msg = lines[-1].split(': ', 1)[-1] if lines else msg
    msg = _BUILD_PREFIX.sub('', msg.strip())
    if isinstance(exc, KeyError) and msg.startswith(("'", '"')):
        msg = msg[1:-1]  # KeyError quotes its message
    hint = unknown_type_hint(msg) or unexpected_argument_hint(msg)
    msg = hint or msg
    return ' '.join(msg.split()) or type(exc).__name__


def run_tool(main: Callable[[], None]) -> None:
    """Run a tool's ``main``; an exception ends it with ``error: ...`` on
    stderr and exit status 1 (the traceback with ``--debug`` or
    ``MMPOLY_DEBUG=1``)."""
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as e:  # noqa: B902 - every error ends in one line
        if debug_requested():
            raise
        line = (f'error: {error_message(e)} ({type(e).__name__}; --debug '
                'shows the traceback)')
        _leave_for_launcher(line)
        print(line, file=sys.stderr)
        sys.exit(1)


def _leave_for_launcher(line: str) -> None:
    """Under ``tools/launchers/torchrun.py``, write ``line`` to
    ``$MMPOLY_ERROR_DIR/rank<RANK>.txt``: the launcher prints which rank
    failed and why."""
    folder = os.environ.get(ERROR_DIR_ENV)
    if not folder or not osp.isdir(folder):
        return
    rank = os.environ.get('RANK', os.environ.get('SLURM_PROCID', '0'))
    try:
        with open(osp.join(folder, f'rank{rank}.txt'), 'w') as f:
            f.write(line + '\n')
    except OSError:
        pass  # the line is still printed
