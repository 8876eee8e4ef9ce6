"""Distributed data parallel wrapper for multi-task segmentors."""
from typing import Dict, Union

import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmengine.registry import MODEL_WRAPPERS  # the Runner looks wrappers up in

from ..models.segmentors.per_task_step import per_task_train_step

# the root registry, without the default scope


@MODEL_WRAPPERS.register_module()
class MultiTaskDDP(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that keeps per-task backward under DDP.

    When the wrapped :class:`~mmpoly.models.MultiTaskSegmentor` runs one
    backbone pass per task, each task's forward goes through DDP and is
    back-propagated at once; gradients accumulate locally (``no_sync``) for
    all tasks but the last, whose backward all-reduces everything, so peak
    memory is one task's graph, as on a single process. Such models use
    parameters per task, so ``find_unused_parameters`` is switched on.
    Otherwise the step is MMEngine's.

    On CPU (gloo) ``device_ids`` is dropped, which MMEngine's default wrapper
    cannot do.

    Args:
        module: The segmentor.
        **kwargs: Arguments of :class:`torch.nn.parallel.
            DistributedDataParallel`.
    """

    def __init__(self, module: torch.nn.Module, **kwargs) -> None:
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu:
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        self._per_task = bool(getattr(module, 'uses_per_task_backward', False))
        if self._per_task:
            kwargs['find_unused_parameters'] = True
        super().__init__(module=module, **kwargs)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        if not self._per_task:
            return super().train_step(data, optim_wrapper)
        return per_task_train_step(
            self.module,
            data,
            optim_wrapper,
            self.module.tasks,
            lambda batch, task: self._run_forward(
                dict(batch, tasks=(task, )), mode='loss'),
            context_model=self,
            no_sync=self.no_sync)
