"""mmpoly's local file backend and checkpoint loader, installed on request.

``import mmpoly`` leaves MMEngine's file I/O as it is. The runs that need
mmpoly's versions install them with :func:`install_file_backends`:
:class:`~mmpoly.engine.MultiTaskRunner` when it is constructed,
:class:`~mmpoly.apis.MultiTaskInferencer` before it loads its checkpoint,
and ``tools/train.py``, ``tools/test.py`` and ``tools/demo.py`` at start.
Installing replaces, for the rest of the process,

- the file backend of local paths (name ``'local'``, prefix ``''``) by
  :class:`~.atomic_local_backend.AtomicLocalBackend` (checkpoints, logs and
  ``last_checkpoint`` written atomically), and
- the :class:`~mmengine.runner.CheckpointLoader` scheme of local paths
  (prefix ``''``) by :func:`~.checkpoint_loading.load_local_checkpoint`
  (MMEngine's checkpoints load on PyTorch >= 2.6; truncated files are
  named).
"""
from mmengine.fileio import io as mmengine_io
from mmengine.fileio.backends import LocalBackend, register_backend
from mmengine.fileio.backends.registry_utils import (backends,
                                                     prefix_to_backends)
from mmengine.runner.checkpoint import CheckpointLoader

from .atomic_local_backend import AtomicLocalBackend
from .checkpoint_loading import load_local_checkpoint

#: MMEngine's prefix of local paths, for file backends and checkpoint
#: loaders alike.
LOCAL_PREFIX = ''


def file_backends_installed() -> bool:
    """Whether MMEngine reads and writes local paths with mmpoly's backend
    and loads local checkpoints with mmpoly's loader."""
    return (backends.get('local') is AtomicLocalBackend
            and prefix_to_backends.get(LOCAL_PREFIX) is AtomicLocalBackend
            and CheckpointLoader._schemes.get(LOCAL_PREFIX)
            is load_local_checkpoint)


def install_file_backends() -> None:
    """Make MMEngine write local files atomically and load local
    checkpoints with mmpoly's safe loader, for the rest of the process.

    Idempotent. MMEngine's cached instances of its plain ``LocalBackend``
    (``get_file_backend(..., enable_singleton=True)``, made before the
    call) are dropped, so that every later lookup of a local path gets the
    atomic backend.
    """
    if file_backends_installed():
        return
    register_backend(
        'local', AtomicLocalBackend, force=True, prefixes=LOCAL_PREFIX)
    CheckpointLoader.register_scheme(
        prefixes=LOCAL_PREFIX, loader=load_local_checkpoint, force=True)
    cached = mmengine_io.backend_instances
    for key in [k for k, v in cached.items() if type(v) is LocalBackend]:
        del cached[key]
