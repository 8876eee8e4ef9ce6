"""Distributed set-up on machines without CUDA."""
import os

import torch
import torch.distributed as dist
from mmengine.config import Config


def adapt_dist_backend(cfg: Config) -> None:
    """Prepare ``cfg`` (and the process) for the machine's devices.

    Without CUDA: the backend becomes ``gloo`` and, for the ``pytorch``
    launcher, the process group is initialised here, because MMEngine's own
    initialisation selects a CUDA device unconditionally. The model is then
    wrapped by :class:`~mmpoly.engine.MultiTaskDDP` (which drops
    ``device_ids`` on CPU) unless the config names another wrapper.
    """
    env = cfg.setdefault('env_cfg', {})
    dist_cfg = env.setdefault('dist_cfg', {})
    if torch.cuda.is_available():
        return
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        dist_cfg['backend'] = 'gloo'
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none':
        return
    if launcher != 'pytorch':
        raise RuntimeError(f'launcher {launcher!r} needs CUDA; on CPU use '
                           'tools/dist_train.sh (torchrun, gloo)')
    if not dist.is_initialized():
        dist.init_process_group(
            backend=dist_cfg['backend'],
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    cfg.setdefault('model_wrapper_cfg', dict(type='MultiTaskDDP'))


def finish_distributed() -> None:
    """Wait for every process, then tear the process group down.

    Without it a gloo process that exits while its peers still hold the
    connection can abort at interpreter shutdown ("terminate called
    without an active exception").
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def process_rank(launcher: str) -> int:
    """This process's global rank before the process group exists: 0
    without a launcher, else from the launcher's environment (``RANK``,
    Slurm's ``SLURM_PROCID``, Open MPI's ``OMPI_COMM_WORLD_RANK``)."""
    if launcher == 'none':
        return 0
    for name in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK'):
        if os.environ.get(name, '').isdigit():
            return int(os.environ[name])
    return 0
