"""Loading MMEngine's own checkpoints on PyTorch >= 2.6.

PyTorch 2.6 made ``torch.load`` default to ``weights_only=True``; MMEngine
0.10.7 still calls it without the argument, so ``--resume``, ``load_from``
and test-time loading of a checkpoint MMEngine saved fail ("Unsupported
global: ... HistoryBuffer"). ``import mmpoly`` replaces MMEngine's loader of
local files with :func:`load_local_checkpoint`, which keeps the safe
``weights_only=True`` unpickler and allows exactly the extra types MMEngine
writes into checkpoints (its ``HistoryBuffer`` and NumPy arrays/scalars).

A file that is not a complete PyTorch checkpoint (truncated by a crash
or a partial download, or not written by ``torch.save``) is refused with
:class:`CheckpointFormatError` naming it. A file that needs anything else
is refused with the names of the offending globals; set
``MMPOLY_TRUSTED_CHECKPOINTS=1`` (or ``true`` / ``yes``) to load such
files with the full (unsafe) unpickler when you trust them.
"""
import os
import os.path as osp
import pickle
import zipfile
from typing import Any, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

TRUST_ENV = 'MMPOLY_TRUSTED_CHECKPOINTS'


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
            zip archive (truncated, empty, or another format).
        pickle.UnpicklingError: the file needs globals outside the allow
            list (named in the message), unless ``MMPOLY_TRUSTED_CHECKPOINTS``
            is set.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found.')
    size = osp.getsize(filename)
    if not zipfile.is_zipfile(filename):
        # torch.save has written zip archives since PyTorch 1.6; a file
        # without a zip directory at its end was cut off or is no checkpoint
        raise _not_complete(
            filename, f'{size:,} bytes without the zip directory that '
            'torch.save writes at the end')
    if os.environ.get(TRUST_ENV, '').strip().lower() in ('1', 'true', 'yes'):
        return _torch_load(filename, map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return _torch_load(filename, map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        try:
            unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(
                filename)
        except Exception:  # not a zip checkpoint: keep the original message
            unsafe = []
        raise pickle.UnpicklingError(
            f'{filename} contains objects that the safe checkpoint loader '
            f'does not allow: {unsafe or str(e).splitlines()[-1]}. If you '
            f'trust this file, set {TRUST_ENV}=1 to load it with the full '
            'unpickler.') from e


def _torch_load(filename: str, map_location, weights_only: bool) -> Any:
    """``torch.load``; a damaged archive becomes
    :class:`CheckpointFormatError`."""
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=weights_only)
    except (RuntimeError, EOFError, zipfile.BadZipFile) as e:
        if isinstance(e, RuntimeError) and 'PytorchStreamReader' not in str(
                e) and 'zip archive' not in str(e):
            raise
        raise _not_complete(filename, str(e).splitlines()[0]) from e


CheckpointLoader.register_scheme(
    prefixes='', loader=load_local_checkpoint, force=True)
