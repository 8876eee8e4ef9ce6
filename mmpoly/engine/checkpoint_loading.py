"""Loading MMEngine's own checkpoints on PyTorch >= 2.6.

PyTorch 2.6 made ``torch.load`` default to ``weights_only=True``; MMEngine
0.10.7 still calls it without the argument, so ``--resume``, ``load_from``
and test-time loading of a checkpoint MMEngine saved fail ("Unsupported
global: ... HistoryBuffer"). :func:`~mmpoly.engine.install_file_backends`
(called by :class:`~mmpoly.engine.MultiTaskRunner` and the tools; ``import
mmpoly`` does not) replaces MMEngine's loader of local files with
:func:`load_local_checkpoint`, which keeps the safe ``weights_only=True``
unpickler and allows exactly the extra types MMEngine writes into
checkpoints (its ``HistoryBuffer`` and NumPy arrays/scalars).

Both formats of ``torch.save`` load, with the same unpickler: the zip
archive (PyTorch >= 1.6) and the legacy format that OpenMMLab's model-zoo
files use (``_use_new_zipfile_serialization=False``). A file that is not a
complete PyTorch checkpoint (a zip archive without its directory, a legacy
file that ends early, or a file ``torch.save`` did not write) is refused
with :class:`CheckpointFormatError` naming it. A file that needs anything else
is refused with the names of the offending globals; set
``MMPOLY_TRUSTED_CHECKPOINTS=1`` (or ``true`` / ``yes``) to load such
files with the full (unsafe) unpickler when you trust them.
"""
import os
import os.path as osp
import pickle
import pickletools
import re
import zipfile
from typing import Any, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

TRUST_ENV = 'MMPOLY_TRUSTED_CHECKPOINTS'

#: How a legacy (non-zip) ``torch.save`` file starts: pickle protocol 2 and
#: the long ``torch.serialization.MAGIC_NUMBER``.
LEGACY_HEADER = b'\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19'
#: The pickles a legacy torch.save file starts with (magic number, protocol,
#: system info, the object, the storage keys), before the raw tensor data.
LEGACY_PICKLES = 5


class CheckpointFormatError(ValueError):
    """A checkpoint file that cannot be read as a PyTorch checkpoint."""


def _not_complete(filename: str, reason: str) -> CheckpointFormatError:
    return CheckpointFormatError(
        f'{filename} is not a complete PyTorch checkpoint (truncated?): '
        f'{reason}')


def _numpy_globals() -> List[Any]:
    reconstruct = np._core.multiarray._reconstruct if hasattr(
        np, '_core') else np.core.multiarray._reconstruct
    scalar = np._core.multiarray.scalar if hasattr(
        np, '_core') else np.core.multiarray.scalar
    out: List[Any] = [np.ndarray, np.dtype, reconstruct, scalar]
    # NumPy 1.x pickles name the module numpy.core, 2.x numpy._core.
    out += [(reconstruct, 'numpy.core.multiarray._reconstruct'),
            (scalar, 'numpy.core.multiarray.scalar'),
            (reconstruct, 'numpy._core.multiarray._reconstruct'),
            (scalar, 'numpy._core.multiarray.scalar')]
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        out += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    return out


def checkpoint_safe_globals() -> List[Any]:
    """The globals an MMEngine checkpoint needs beyond PyTorch's defaults.

    ``getattr`` is needed because ``HistoryBuffer`` pickles its statistic
    methods as bound methods; under the weights-only unpickler it can only
    read attributes, never call anything that is not allow-listed.
    """
    return [HistoryBuffer, getattr] + _numpy_globals()


def load_local_checkpoint(filename: str, map_location=None) -> Any:
    """MMEngine ``CheckpointLoader`` backend for local paths.

    Args:
        filename: Path of the checkpoint.
        map_location: As in :func:`torch.load`.

    Raises:
        FileNotFoundError: the file does not exist.
        CheckpointFormatError: the file is not a complete ``torch.save``
            file, zip or legacy (truncated, empty, or another format).
        pickle.UnpicklingError: the file needs globals outside the allow
            list (named in the message), unless ``MMPOLY_TRUSTED_CHECKPOINTS``
            is set.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found.')
    legacy = checkpoint_format(filename) == 'legacy'
    if os.environ.get(TRUST_ENV, '').strip().lower() in ('1', 'true', 'yes'):
        return _torch_load(filename, map_location, False, legacy)
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return _torch_load(filename, map_location, True, legacy)
    except pickle.UnpicklingError as e:
        unsafe = _unsafe_globals(filename, e, legacy)
        raise pickle.UnpicklingError(
            f'{filename} contains objects that the safe checkpoint loader '
            f'does not allow: {unsafe}. If you '
            f'trust this file, set {TRUST_ENV}=1 to load it with the full '
            'unpickler.') from e


def checkpoint_format(filename: str) -> str:
    """``'zip'`` or ``'legacy'``: which ``torch.save`` format a file has.

    Raises:
        CheckpointFormatError: neither (a zip archive cut before its
            directory, which ``torch.save`` writes last, an empty file, or
            a file ``torch.save`` did not write).
    """
    if zipfile.is_zipfile(filename):
        return 'zip'
    with open(filename, 'rb') as f:
        head = f.read(len(LEGACY_HEADER))
    if head == LEGACY_HEADER:
        return 'legacy'
    size = osp.getsize(filename)
    if head.startswith(b'PK'):
        raise _not_complete(
            filename, f'a zip archive of {size:,} bytes without the '
            'directory that torch.save writes at its end')
    raise _not_complete(
        filename, f'{size:,} bytes, neither a zip archive nor the legacy '
        '(non-zip) torch.save format')


def _unsafe_globals(filename: str, error: Exception, legacy: bool) -> str:
    """The globals the safe unpickler refused, for the message."""
    unsafe: List[str] = []
    if not legacy:
        try:
            unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(
                filename)
        except Exception:  # keep the unpickler's message
            unsafe = []
    if not unsafe:
        unsafe = re.findall(r'Unsupported global: GLOBAL ([\w.]+)', str(error))
    if unsafe:
        return str(sorted(set(unsafe)))
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def _torch_load(filename: str, map_location, weights_only: bool,
                legacy: bool) -> Any:
    """``torch.load``; a damaged archive or a legacy file that ends early
    becomes :class:`CheckpointFormatError`."""
    try:
        return _torch_load_once(filename, map_location, weights_only, legacy)
    except (CheckpointFormatError, FileNotFoundError, MemoryError):
        raise
    except Exception as e:  # noqa: B902 - whatever a cut pickle raises
        # a legacy file cut inside one of its pickles makes the unpickler
        # fail in many ways (struct.error, "unsupported operand", ...)
        if legacy and not legacy_pickles_complete(filename):
            raise _cut_legacy(filename, e) from e
        raise


def legacy_pickles_complete(filename: str) -> bool:
    """Whether the five pickles a legacy ``torch.save`` file starts with
    (magic number, protocol, system info, the object, the storage keys)
    are all complete; the raw tensor data follows them."""
    with open(filename, 'rb') as f:
        try:
            for _ in range(LEGACY_PICKLES):
                for _ in pickletools.genops(f):
                    pass
        except Exception:  # noqa: B902 - cut or garbled opcodes
            return False
    return True


def _torch_load_once(filename: str, map_location, weights_only: bool,
                     legacy: bool) -> Any:
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=weights_only)
    except (RuntimeError, EOFError, zipfile.BadZipFile) as e:
        if legacy and (not isinstance(e, RuntimeError) or 'EOF' in str(e)):
            raise _cut_legacy(filename, e) from e
        zip_error = not isinstance(e, RuntimeError) or any(
            m in str(e) for m in ('PytorchStreamReader', 'zip archive'))
        if legacy or not zip_error:
            raise
        raise _not_complete(filename, str(e).splitlines()[0]) from e
    except (IndexError, KeyError, ValueError) as e:
        # what the unpickler raises on pickle data that stops mid-way
        if not legacy:
            raise
        raise _cut_legacy(filename, e) from e
    except pickle.UnpicklingError as e:
        if legacy and 'truncated' in str(e):
            raise _cut_legacy(filename, e) from e
        raise


def _cut_legacy(filename: str, error: Exception) -> CheckpointFormatError:
    size = osp.getsize(filename)
    detail = ' '.join(str(error).split()) or type(error).__name__
    return _not_complete(
        filename, f'a legacy (non-zip) torch.save file of {size:,} bytes '
        f'that ends early ({detail})')
