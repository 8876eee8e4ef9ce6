"""Test-only faults at a chosen point of a training, for the reliability
tests (never imported by mmpoly): a config made by :func:`fault_config`
imports this module and adds :class:`FaultHook`, which reads what to do
from the environment variable ``MMPOLY_TEST_FAULT``:

- ``KILL@val:4``: SIGKILL to itself after the first batch of the
  validation of iteration 4 (``TERM``, ``INT`` likewise);
- ``TERM@train:2``: the signal before training iteration index 2 (the
  third iteration, after everything of iteration 2, validation included);
- ``NAN@semseg:1``: task ``semseg``'s head outputs NaN in iteration
  index 1 (its loss and gradients are NaN there).
"""
import os
import os.path as osp
import signal

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

ENV = 'MMPOLY_TEST_FAULT'


def fault_config(tmp_dir: str, base: str, extra: str = '') -> str:
    """Write a config that inherits ``base`` (a path) and adds
    :class:`FaultHook` (and ``extra`` config text); returns its path."""
    path = osp.join(str(tmp_dir), 'fault_' + osp.basename(base))
    with open(path, 'w') as f:
        f.write(f'_base_ = [{osp.abspath(base)!r}]\n'
                "custom_imports = dict(imports=['mmpoly', 'fault_hooks'], "
                'allow_failed_imports=False)\n'
                "custom_hooks = [dict(type='FaultHook')]\n" + extra)
    return path


@HOOKS.register_module()
class FaultHook(Hook):
    """Signals or poisons the training as ``MMPOLY_TEST_FAULT`` says."""

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        spec = os.environ.get(ENV, '')
        self.what, self.where, self.index = None, None, -1
        if spec:
            self.what, rest = spec.split('@')
            self.where, index = rest.split(':')
            self.index = int(index)
        self._handle = None

    def _signal(self) -> None:
        os.kill(os.getpid(), getattr(signal, f'SIG{self.what}'))

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if batch_idx != self.index:
            return
        if self.where == 'train':
            self._signal()
        elif self.what == 'NAN':
            model = runner.model.module if is_model_wrapper(
                runner.model) else runner.model
            # the head's classifier (mmseg heads call forward directly)
            self._handle = model.decode_heads[
                self.where].conv_seg.register_forward_hook(
                    lambda module, args, out: out * torch.nan)

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def after_val_iter(self,
                       runner,
                       batch_idx,
                       data_batch=None,
                       outputs=None) -> None:
        if (self.where == 'val' and runner.iter == self.index
                and batch_idx == 0):
            self._signal()
