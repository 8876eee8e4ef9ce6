"""How mmpoly's command-line tools end on an error: one clear line."""
import os
import re
import sys
from typing import Callable

from .error_hints import unexpected_argument_hint, unknown_type_hint

#: MMEngine's registry prefixes every error raised while building a module
#: with "class `X` in module: "; the innermost message is the useful one.
_BUILD_PREFIX = re.compile(r'^(class `[\w.]+` in [\w./\\:-]+: )+')


def debug_requested() -> bool:
    """``--debug`` on the command line or ``MMPOLY_DEBUG=1``."""
    return '--debug' in sys.argv or os.environ.get('MMPOLY_DEBUG',
                                                   '') not in ('', '0')


def error_message(exc: BaseException) -> str:
    """The message of ``exc`` without the wrappers around it.

    Errors re-raised from a dataloader worker carry the worker's traceback
    in their message: only its last line (the original error) is kept.
    MMEngine's "class `X` in module:" build prefixes are dropped; unknown
    registry types and unexpected config keys are rephrased with the
    closest valid names (:mod:`mmpoly.utils.error_hints`). The result is
    one line.
    """
    msg = str(exc)
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
        print(
            f'error: {error_message(e)} ({type(e).__name__}; --debug '
            'shows the traceback)',
            file=sys.stderr)
        sys.exit(1)
