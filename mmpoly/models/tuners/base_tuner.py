"""Base class of a parameter-efficient tuning method (a 'tuner').

A tuner is plugged into a frozen backbone by
:class:`~mmpoly.models.backbones.PEFTBackbone`: the wrapper builds and loads
the unmodified backbone, then calls :meth:`BaseTuner.attach`, which creates
the method's own modules (as submodules of the tuner, so that all its
parameters share the ``tuner.`` name prefix) and hooks them into the
backbone's forward without changing the backbone's modules or state-dict
keys. For each task pass the wrapper enters :meth:`BaseTuner.task_pass`, so
the hooks know which task's modules to use.
"""
import re
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from .swin_sites import SwinArch, describe_swin


class BaseTuner(BaseModule, metaclass=ABCMeta):
    """A tuning method: its modules, its hooks and its task conditioning.

    Subclasses implement :meth:`build_modules` (create parameters for the
    given backbone architecture and tasks) and :meth:`install_hooks`
    (register forward hooks through :mod:`.swin_sites`). Optionally they
    override :meth:`prepare_pass` (e.g. generate weights once per task pass)
    or :meth:`parameter_overrides` (per-task replacements of backbone
    tensors, applied with :func:`torch.func.functional_call`).

    Attributes:
        task_specific: Whether the backbone's features depend on the task
            (then the wrapper runs one pass per task). Shared methods set it
            to False and get one pass for all tasks.
    """

    task_specific: bool = True
    #: Regex whose first group is the stage index in a parameter's name
    #: (parameters that do not match are shared by all stages).
    _stage_pattern: Optional[str] = None

    def __init__(self, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.tasks: tuple = ()
        self.arch: Optional[SwinArch] = None
        self._handles: List = []
        self._attached = False
        self._task: Optional[str] = None

    # ------------------------------------------------------------ set-up
    def attach(self, backbone: nn.Module, tasks: Sequence[str]) -> None:
        """Create the method's modules for ``backbone`` and hook them in."""
        if self._attached:
            raise RuntimeError(f'{type(self).__name__} is already attached')
        self.tasks = tuple(tasks)
        self.arch = describe_swin(backbone)
        self.build_modules(self.arch, self.tasks)
        self._handles = list(self.install_hooks(backbone, self.arch))
        self._attached = True

    def detach(self) -> None:
        """Remove the hooks: the backbone computes its plain features."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._attached = False

    @property
    def attached(self) -> bool:
        return self._attached

    @abstractmethod
    def build_modules(self, arch: SwinArch, tasks: Sequence[str]) -> None:
        """Create the method's parameters for ``arch`` and ``tasks``."""

    @abstractmethod
    def install_hooks(self, backbone: nn.Module, arch: SwinArch) -> List:
        """Register the hooks; return their handles."""

    # ---------------------------------------------------------- task pass
    @property
    def current_task(self) -> str:
        """The task of the pass in progress (hooks read it)."""
        if self._task is None:
            raise RuntimeError(
                f'{type(self).__name__} hooks ran outside a task pass; call '
                'the backbone through PEFTBackbone.forward_tasks')
        return self._task

    @contextmanager
    def task_pass(self, task: Optional[str]) -> Iterator[None]:
        """Context of one backbone pass for ``task`` (None: one pass shared
        by all tasks, for tuners that are not task-specific)."""
        if task is None and self.task_specific:
            raise RuntimeError(f'{type(self).__name__} is task-specific: '
                               'a pass needs its task')
        if task is not None and task not in self.tasks:
            raise KeyError(f'{type(self).__name__} was built for tasks '
                           f'{list(self.tasks)}, not {task!r}')
        self._task = task
        try:
            self.prepare_pass(task)
            yield
        finally:
            self._task = None
            self.finish_pass(task)

    def prepare_pass(self, task: Optional[str]) -> None:
        """Called when a pass for ``task`` starts (default: nothing)."""

    def finish_pass(self, task: Optional[str]) -> None:
        """Called when a pass for ``task`` ends (default: nothing)."""

    def task_features(self, task: str, feats: tuple,
                      out_indices: Sequence[int]) -> tuple:
        """The features of ``task`` after a shared pass (default: the
        shared features; MTLoRA returns its task streams). Called inside
        the pass."""
        return feats

    def parameters_by_stage(self) -> Dict[str, int]:
        """Trainable parameters per stage (``'stage 1'``...) and ``'shared'``
        by all stages."""
        counts: Dict[str, int] = {}
        pattern = re.compile(self._stage_pattern) if self._stage_pattern \
            else None
        for name, p in self.named_parameters():
            if not p.requires_grad:
                continue
            match = pattern.match(name) if pattern else None
            key = f'stage {int(match.group(1)) + 1}' if match else 'shared'
            counts[key] = counts.get(key, 0) + p.numel()
        return counts

    def parameter_overrides(self,
                            task: Optional[str]) -> Dict[str, torch.Tensor]:
        """Backbone tensors to replace during ``task``'s pass (by name;
        ``task`` is None in a shared pass)."""
        return {}
