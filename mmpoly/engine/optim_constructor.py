"""An optimiser over the trainable parameters only, with a one-line log."""
import logging
from typing import List

import torch.nn as nn
from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS

#: MMEngine's per-parameter log lines, replaced by one summary line.
_PER_PARAMETER = ('is skipped since its requires_grad', 'paramwise_options --')


class _DropPerParameterLines(logging.Filter):

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(p in message for p in _PER_PARAMETER)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class TrainableOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """MMEngine's default constructor, over the trainable parameters only.

    Frozen parameters (``requires_grad=False``: a frozen backbone has
    hundreds of tensors) are left out of the optimiser, so MMEngine does not
    log one "is skipped since its requires_grad=False" warning per tensor,
    nor one line per parameter's options. The log gets one line instead:
    trainable and total parameters, the tuner, and the parameters whose
    options ``paramwise_cfg`` changes.

    Arguments as :class:`mmengine.optim.DefaultOptimWrapperConstructor`.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        module = model.module if hasattr(model, 'module') else model
        logger = MMLogger.get_current_instance()
        quiet = _DropPerParameterLines()
        logger.addFilter(quiet)
        try:
            wrapper = super().__call__(module)
        finally:
            logger.removeFilter(quiet)
        optimizer = wrapper.optimizer
        groups: List[dict] = []
        for group in optimizer.param_groups:
            group['params'] = [p for p in group['params'] if p.requires_grad]
            if group['params']:
                groups.append(group)
        optimizer.param_groups = groups
        self._log_summary(module, groups)
        return wrapper

    def _log_summary(self, model: nn.Module, groups: List[dict]) -> None:
        params = list(model.parameters())
        trainable = sum(p.numel() for p in params if p.requires_grad)
        total = sum(p.numel() for p in params)
        tuner = getattr(getattr(model, 'backbone', None), 'tuner', None)
        tensors = sum(len(g['params']) for g in groups)
        changed = sum(
            len(g['params']) for g in groups if g.get('lr') != self.base_lr
            or g.get('weight_decay') != self.base_wd)
        name = type(tuner).__name__ if tuner is not None else 'none'
        print_log(
            f'optimizer over {trainable:,} trainable of {total:,} '
            f'parameters ({tensors} tensors, {changed} with their own '
            f'lr / weight decay; tuner: {name})',
            logger='current')
