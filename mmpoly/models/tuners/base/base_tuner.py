"""Base class of a parameter-efficient tuning method (a 'tuner').

A tuner is plugged into a frozen backbone by
:class:`~mmpoly.models.backbones.PEFTBackbone`: the wrapper builds and loads
the unmodified backbone, then calls :meth:`BaseTuner.attach`, which creates
the method's own modules (as submodules of the tuner, so that all its
parameters share the ``tuner.`` name prefix) and hooks them into the
backbone's forward (:mod:`..sites`) without changing the backbone's modules
or state-dict keys. For each task pass the wrapper enters
:meth:`BaseTuner.task_pass`, so the hooks know which task's modules to use.
"""
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from typing import (Callable, Dict, Iterator, List, Optional, Sequence, Tuple,
                    Union)

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from ..sites import BlockInfo, SwinArch, describe_swin

#: The module key of the one set of modules shared by all tasks.
SHARED = 'shared'


class BaseTuner(BaseModule, metaclass=ABCMeta):
    """A tuning method: its modules, its hooks and its task conditioning.

    Subclasses implement :meth:`build_modules` (create parameters for the
    backbone and the tasks) and :meth:`install_hooks` (register hooks
    through :mod:`..sites`). Optionally they override :meth:`prepare_pass`
    (e.g. generate weights once per task pass) or
    :meth:`parameter_overrides` (per-task replacements of backbone tensors,
    applied with :func:`torch.func.functional_call`).

    Methods with one set of modules per task key them by task name
    (:attr:`module_keys`); with ``shared=True`` a single set, keyed
    ``'shared'``, serves every task and the backbone runs once for all.

    Args:
        shared: One set of the method's modules for all tasks.
        init_cfg: MMEngine initialisation config.

    Attributes:
        uses_swin_sites: Whether the method hooks into Swin blocks (then
            :meth:`attach` reads the blocks with
            :func:`~..sites.describe_swin`). Methods that only select
            backbone tensors by name set it to False and work on any
            backbone.
    """

    uses_swin_sites: bool = True

    def __init__(self,
                 shared: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.is_shared = bool(shared)
        self.tasks: tuple = ()
        self.arch: Optional[SwinArch] = None
        self._handles: List = []
        self._attached = False
        self._task: Optional[str] = None
        self._stage_ids: Dict[int, int] = {}
        self._stage_of: Dict[str, int] = {}

    @property
    def task_specific(self) -> bool:
        """Whether the backbone's features depend on the task (then the
        wrapper runs one pass per task)."""
        return not self.is_shared

    # ------------------------------------------------------------ set-up
    def attach(self, backbone: nn.Module, tasks: Sequence[str]) -> None:
        """Create the method's modules for ``backbone`` and hook them in."""
        if self._attached:
            raise RuntimeError(f'{type(self).__name__} is already attached')
        self.tasks = tuple(tasks)
        self.arch = describe_swin(backbone) if self.uses_swin_sites else None
        self.build_modules(backbone, self.arch)
        self._stage_of = {
            name: self._stage_ids[id(p)]
            for name, p in self.named_parameters() if id(p) in self._stage_ids
        }
        self._stage_ids = {}
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
    def build_modules(self, backbone: nn.Module,
                      arch: Optional[SwinArch]) -> None:
        """Create the method's parameters for ``backbone`` (described by
        ``arch`` when :attr:`uses_swin_sites`) and :attr:`tasks`; mark the
        ones that belong to a stage with :meth:`in_stage`."""

    @abstractmethod
    def install_hooks(self, backbone: nn.Module,
                      arch: Optional[SwinArch]) -> List:
        """Register the hooks; return their handles."""

    @property
    def module_keys(self) -> Tuple[str, ...]:
        """Keys of the sets of modules: the tasks, or ``('shared',)``."""
        return (SHARED, ) if self.is_shared else self.tasks

    def in_stage(self, stage: int, module: Union[nn.Module, nn.Parameter]):
        """Record that ``module``'s parameters belong to backbone stage
        ``stage`` (for :meth:`parameters_by_stage`); returns ``module``."""
        params = [module] if isinstance(module, nn.Parameter) \
            else module.parameters()
        for p in params:
            self._stage_ids[id(p)] = stage
        return module

    def per_block(self, arch: SwinArch,
                  make: Callable[[BlockInfo], nn.Module]) -> nn.ModuleList:
        """``make(info)`` for every block, as ``[stage][block]`` module
        lists (state-dict keys ``<stage>.<block>.*``), each stage's recorded
        with :meth:`in_stage`."""
        return nn.ModuleList(
            self.in_stage(s, nn.ModuleList(make(info) for info in blocks))
            for s, blocks in enumerate(arch.stages))

    # ---------------------------------------------------------- task pass
    @property
    def current_task(self) -> str:
        """The task of the pass in progress (hooks read it)."""
        if self._task is None:
            raise RuntimeError(
                f'{type(self).__name__} hooks ran outside a task pass; call '
                'the backbone through PEFTBackbone.forward_tasks')
        return self._task

    def module_key(self, task: Optional[str]) -> str:
        """The key of ``task``'s modules (:attr:`module_keys`)."""
        return SHARED if self.is_shared else task

    @property
    def current_key(self) -> str:
        """The module key of the pass in progress."""
        return SHARED if self.is_shared else self.current_task

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
        by all stages, as recorded by :meth:`in_stage` when built."""
        counts: Dict[str, int] = {}
        for name, p in self.named_parameters():
            if not p.requires_grad:
                continue
            stage = self._stage_of.get(name)
            key = 'shared' if stage is None else f'stage {stage + 1}'
            counts[key] = counts.get(key, 0) + p.numel()
        return counts

    def parameter_overrides(self,
                            task: Optional[str]) -> Dict[str, torch.Tensor]:
        """Backbone tensors to replace during ``task``'s pass (by name;
        ``task`` is None in a shared pass)."""
        return {}
