"""Base class of a parameter-efficient tuning method (a 'tuner').

A tuner is plugged into a frozen backbone by
:class:`~mmpoly.models.backbones.PEFTBackbone`: the wrapper builds and loads
the unmodified backbone, describes it (:mod:`mmpoly.models.archs`), then
calls :meth:`BaseTuner.attach`, which checks that the method can run on
that backbone, creates the method's own modules (as submodules of the
tuner, so that all its parameters share the ``tuner.`` name prefix) and
hooks them into the backbone's forward (:mod:`..sites`) without changing
the backbone's modules or state-dict keys. The tuner's :attr:`run_mode`
says how the wrapper runs the backbone; for each pass the wrapper enters
:meth:`BaseTuner.task_pass`, so the hooks know which task's modules to use.
"""
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from typing import (Callable, Dict, Iterator, List, Optional, Sequence, Tuple,
                    Union)

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from ...archs import (ARCHS, ArchDescription, BlockInfo,
                      UnsupportedBackboneError)
from ...run_mode import RunMode

#: The module key of the one set of modules shared by all tasks.
SHARED = 'shared'


class BaseTuner(BaseModule, metaclass=ABCMeta):
    """A tuning method: its modules, its hooks and its task conditioning.

    Subclasses implement :meth:`build_modules` (check the backbone's
    description for what the method needs, with
    :meth:`~mmpoly.models.archs.ArchDescription.require_positions` and the
    like, then create parameters for the backbone and the tasks) and
    :meth:`install_hooks` (register hooks through :mod:`..sites`).
    Optionally they override :meth:`prepare_pass` (e.g. generate weights
    once per task pass) or :meth:`parameter_overrides` (per-task
    replacements of backbone tensors, applied with
    :func:`torch.func.functional_call`).

    Methods with one set of modules per task key them by task name
    (:attr:`module_keys`) and run :attr:`RunMode.PER_TASK`; with
    ``shared=True`` a single set, keyed ``'shared'``, serves every task and
    the backbone runs once for all (:attr:`RunMode.SHARED`).

    Args:
        shared: One set of the method's modules for all tasks.
        init_cfg: MMEngine initialisation config.

    Attributes:
        run_mode: How the wrapper runs the backbone for this method.
        needs_arch: Whether the method places modules in blocks (then the
            backbone must have an architecture description). Methods that
            only select backbone tensors by name set it to False and work
            on any backbone.
    """

    needs_arch: bool = True
    #: The run mode of a method that is not ``shared``.
    own_run_mode: RunMode = RunMode.PER_TASK

    def __init__(self,
                 shared: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.run_mode = RunMode.SHARED if shared else self.own_run_mode
        self.tasks: tuple = ()
        self.arch: Optional[ArchDescription] = None
        self._handles: List = []
        self._attached = False
        self._task: Optional[str] = None
        self._stage_ids: Dict[int, int] = {}
        self._stage_of: Dict[str, int] = {}

    @property
    def name(self) -> str:
        """The method's name in messages (its class name)."""
        return type(self).__name__

    # ------------------------------------------------------------ set-up
    def attach(self,
               backbone: nn.Module,
               tasks: Sequence[str],
               arch: Optional[ArchDescription] = None) -> None:
        """Create the method's modules for ``backbone`` and hook them in.

        Args:
            backbone: The built, loaded backbone.
            tasks: Task names.
            arch: Its description (read with ``ARCHS`` when not given).

        Raises:
            UnsupportedBackboneError: one line naming the method, the
                backbone and what it lacks.
        """
        if self._attached:
            raise RuntimeError(f'{self.name} is already attached')
        self.tasks = tuple(tasks)
        if arch is None:
            try:
                arch = ARCHS.describe(backbone)
            except UnsupportedBackboneError as e:
                if self.needs_arch:
                    raise UnsupportedBackboneError(
                        f'{self.name} cannot run on '
                        f'{type(backbone).__name__}: {e}') from None
        self.arch = arch
        if arch is not None:
            self.check_backbone(arch)
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

    def check_backbone(self, arch: ArchDescription) -> None:
        """Refuse a backbone that lacks what the method needs, in one line
        (:meth:`~mmpoly.models.archs.ArchDescription.require_positions`,
        ``require_linears``, ``require_prompt_attention``). Default:
        nothing is needed."""

    @abstractmethod
    def build_modules(self, backbone: nn.Module,
                      arch: Optional[ArchDescription]) -> None:
        """Create the method's parameters for ``backbone`` (described by
        ``arch``; None only when not :attr:`needs_arch` and the family is
        not described) and :attr:`tasks`; mark the ones that belong to a
        stage with :meth:`in_stage`."""

    @abstractmethod
    def install_hooks(self, backbone: nn.Module,
                      arch: Optional[ArchDescription]) -> List:
        """Register the hooks; return their handles."""

    @property
    def module_keys(self) -> Tuple[str, ...]:
        """Keys of the sets of modules: the tasks, or ``('shared',)``."""
        return (SHARED, ) if self.run_mode is RunMode.SHARED else self.tasks

    def in_stage(self, stage: int, module: Union[nn.Module, nn.Parameter]):
        """Record that ``module``'s parameters belong to backbone stage
        ``stage`` (for :meth:`parameters_by_stage`); returns ``module``."""
        params = [module] if isinstance(module, nn.Parameter) \
            else module.parameters()
        for p in params:
            self._stage_ids[id(p)] = stage
        return module

    def per_block(self, arch: ArchDescription,
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
                f'{self.name} hooks ran outside a task pass; call the '
                'backbone through PEFTBackbone.forward_tasks')
        return self._task

    def module_key(self, task: Optional[str]) -> str:
        """The key of ``task``'s modules (:attr:`module_keys`)."""
        return task if self.run_mode.passes_per_task else SHARED

    @property
    def current_key(self) -> str:
        """The module key of the pass in progress."""
        return self.current_task if self.run_mode.passes_per_task \
            else SHARED

    @contextmanager
    def task_pass(self, task: Optional[str]) -> Iterator[None]:
        """Context of one backbone pass for ``task`` (None: the one pass of
        a :attr:`RunMode.SHARED` or :attr:`RunMode.TASK_STREAMS` tuner)."""
        if task is None and self.run_mode.passes_per_task:
            raise RuntimeError(f'{self.name} runs one pass per task: a pass '
                               'needs its task')
        if task is not None and task not in self.tasks:
            raise KeyError(f'{self.name} was built for tasks '
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
        """The features of ``task`` after the one pass (default: the shared
        features; a :attr:`RunMode.TASK_STREAMS` tuner returns its task's
        stream). Called inside the pass."""
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
