"""Mixed-precision training on any device: MMEngine's ``AmpOptimWrapper``
without its CUDA-only check, with a per-dtype loss scaler.

Selected by a config with
``optim_wrapper = dict(type='MultiTaskAmpOptimWrapper', ...)`` (or by
``tools/train.py --amp``, which switches the config's wrapper type to it).
The forward of each training step runs under ``torch.autocast`` on the
device of the optimised parameters: bfloat16 on a CPU, float16 on a GPU
unless ``dtype`` says otherwise.

What stays in float32 under mixed precision (autocast off, inputs cast to
float32):

- **Hypernetwork generation**: the task projectors and generators of
  Hyperformer, Hyperformer++, Polyhistor and Polyhistor-Lite
  (:meth:`~mmpoly.models.tuners.base.HyperAdapterTuner.prepare_pass`);
  the generated weights are cast only where an adapter applies them.
- **Losses**: every decode head's ``loss_by_feat`` (logits resized,
  losses and training logs such as ``acc_seg``) and mmpoly's losses
  themselves (:mod:`mmpoly.models.losses`).
- **Predictions and metrics**: logits are cast to float32 before padding
  is undone, they are resized to the image size and activated
  (:meth:`~mmpoly.models.MultiTaskSegmentor.postprocess_result`), and the
  metric receives float32 predictions
  (:class:`~mmpoly.evaluation.MultiTaskMetric`).
- **LayerNorms**: CUDA autocast runs ``layer_norm`` in float32; CPU
  autocast keeps bfloat16 inputs and outputs, but PyTorch's CPU kernel
  computes the mean and variance in float32 (the result equals a float32
  LayerNorm rounded to bfloat16; ``tests/engine/test_amp.py`` checks it).
- **Weights, gradients and optimiser states** stay float32 (autocast
  casts copies); the loss scaler unscales the gradients before clipping.

Everything else (the frozen backbone, the adapters, LoRA branches, the
decode heads' layers) runs in the low precision.
"""
from contextlib import contextmanager
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

from .autocast_context import autocast_context, autocast_dtype

LossScale = Optional[Union[str, float, dict]]


# In MMEngine's root registry, as its own wrappers: found from any scope.
@OPTIM_WRAPPERS.register_module()
class MultiTaskAmpOptimWrapper(AmpOptimWrapper):
    """Automatic mixed precision on CPUs and GPUs, with loss scaling where
    the dtype needs it.

    MMEngine's :class:`~mmengine.optim.AmpOptimWrapper` refuses to start
    without CUDA and always scales the loss; this subclass keeps its
    scaled backward, its step (unscale before clipping, one scaler step
    and one scale update) and its state dict, and:

    - runs autocast on the device of the optimised parameters, in
      bfloat16 on a CPU and float16 elsewhere by default;
    - scales the loss only in float16 (``loss_scale='auto'``): bfloat16
      has float32's exponent range and needs no scaler;
    - saves the scaler's state in checkpoints (``loss_scaler``) and
      restores it on ``--resume``; a checkpoint without it (float32 or
      bfloat16 training) leaves a fresh scaler.

    mmpoly's per-task backward
    (:func:`~mmpoly.models.segmentors.per_task_step.per_task_train_step`)
    scales the loss of each task with the same scale and steps once, after
    the last task.

    Args:
        optimizer: The optimiser (built by the optimiser wrapper
            constructor).
        dtype: ``'float16'``, ``'bfloat16'`` or None for the device's
            default (see :func:`~mmpoly.engine.autocast_dtype`).
        loss_scale: ``'auto'`` (dynamic scaling in float16, none in
            bfloat16), ``'dynamic'`` (PyTorch's ``GradScaler`` defaults),
            a number (a fixed scale), a dict (``GradScaler`` arguments), or
            None (no scaling).
        **kwargs: :class:`~mmengine.optim.OptimWrapper` arguments
            (``accumulative_counts``, ``clip_grad``).

    Attributes:
        device_type: Where autocast runs (``'cpu'``, ``'cuda'``...).
        cast_dtype: The autocast dtype (resolved; never None).
        loss_scaler: A ``torch.amp.GradScaler``, disabled (scaling
            nothing, an empty state) when the loss is not scaled.
    """

    def __init__(self,
                 optimizer: torch.optim.Optimizer,
                 dtype: Optional[Union[str, torch.dtype]] = None,
                 loss_scale: LossScale = 'auto',
                 **kwargs) -> None:
        # AmpOptimWrapper.__init__ asserts CUDA: initialise what it
        # inherits from OptimWrapper, then the scaler and dtype here
        OptimWrapper.__init__(self, optimizer=optimizer, **kwargs)
        self.device_type = _parameters_device(optimizer)
        self.cast_dtype = autocast_dtype(self.device_type, dtype)
        if loss_scale == 'auto':
            loss_scale = 'dynamic' if self.cast_dtype == torch.float16 \
                else None
        self._scale_update_param = None
        scaler_args: dict = dict(enabled=loss_scale is not None)
        fixed = isinstance(loss_scale, (int, float)) and \
            not isinstance(loss_scale, bool)
        if fixed:
            loss_scale = float(loss_scale)
            self._scale_update_param = loss_scale  # kept fixed by update()
            scaler_args['init_scale'] = loss_scale
        elif isinstance(loss_scale, dict):
            scaler_args.update(loss_scale)
        elif loss_scale not in ('dynamic', None):
            raise TypeError(
                f'MultiTaskAmpOptimWrapper: loss_scale={loss_scale!r}; '
                'expected \'auto\', \'dynamic\', a number, a dict of '
                'GradScaler arguments or None')
        self.loss_scaler = torch.amp.GradScaler(self.device_type,
                                                **scaler_args)
        scaling = ('no loss scaling' if not self.loss_scaler.is_enabled() else
                   f'loss scale {self.loss_scaler.get_scale():g}' +
                   (' (fixed)' if self._scale_update_param else ' (dynamic)'))
        print_log(
            f'mixed precision: {str(self.cast_dtype)[6:]} autocast on '
            f'{self.device_type}, {scaling}', 'current')

    def step(self, **kwargs) -> None:
        """:class:`~mmengine.optim.AmpOptimWrapper`'s step (unscale before
        clipping, the scaler's step, one scale update), then the new loss
        scale logged as ``loss_scale`` when the loss is scaled.

        Args:
            kwargs: Arguments of :meth:`torch.optim.Optimizer.step`.
        """
        super().step(**kwargs)
        if self.loss_scaler.is_enabled():
            self.message_hub.update_scalar('train/loss_scale',
                                           self.loss_scaler.get_scale())

    @contextmanager
    def optim_context(self, model: nn.Module):
        """The gradient-accumulation context of
        :class:`~mmengine.optim.OptimWrapper` and this wrapper's autocast.

        Args:
            model: The training model.
        """
        with super(AmpOptimWrapper, self).optim_context(model), \
                autocast_context(self.device_type, self.cast_dtype):
            yield

    def load_state_dict(self, state_dict: dict) -> None:
        """Load the optimiser's state and, if the checkpoint has one, the
        loss scaler's (as :class:`~mmengine.optim.AmpOptimWrapper`).

        A checkpoint saved without loss scaling (float32, or bfloat16 whose
        disabled scaler saves an empty state) leaves the scaler as built.

        Args:
            state_dict: What :meth:`state_dict` returned.
        """
        state_dict = dict(state_dict)
        scaler_state = state_dict.pop('loss_scaler', None)
        if scaler_state and self.loss_scaler.is_enabled():
            self.loss_scaler.load_state_dict(scaler_state)
            print_log(
                'mixed precision: loss scale '
                f'{self.loss_scaler.get_scale():g} restored', 'current')
        elif self.loss_scaler.is_enabled():
            print_log(
                'mixed precision: the checkpoint has no loss-scaler state; '
                f'the loss scale starts at '
                f'{self.loss_scaler.get_scale():g}', 'current')
        super().load_state_dict(state_dict)


def _parameters_device(optimizer: torch.optim.Optimizer) -> str:
    """The device type of the optimised parameters.

    Raises:
        ValueError: the parameters lie on several device types.
    """
    types = {
        p.device.type
        for group in optimizer.param_groups
        for p in group['params']
    }
    if len(types) != 1:
        raise ValueError('MultiTaskAmpOptimWrapper: the optimised parameters '
                         f'are on {sorted(types) or "no device"}; expected '
                         'one device type')
    return types.pop()
