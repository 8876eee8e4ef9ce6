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

A per-task tuner can also serve several tasks in one *task-batched* pass
(``task_pass`` with a tuple of tasks): the backbone's input holds every
task's images, task ``k``'s rows at ``k·n .. (k+1)·n``, and every tensor a
hook sees keeps that layout along its leading dimension (Swin's window
attention has ``B·nW`` rows, still contiguous per image, so its ``T`` equal
chunks are the tasks). Hooks apply per-task modules through
:meth:`BaseTuner.per_task`, or stack the tasks' weights
(:attr:`BaseTuner.pass_keys`).
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
    :func:`torch.func.functional_call`). Attributes holding per-pass state
    are listed in :attr:`pass_state_attrs` (activation checkpointing
    replays them when a block is recomputed).

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
    #: Attributes that hold the state of the pass in progress, read by the
    #: hooks (the task(s), what :meth:`prepare_pass` made, what hooks hand
    #: on to later blocks): :meth:`pass_state` snapshots them. Subclasses
    #: with more per-pass state add their attributes.
    pass_state_attrs: Tuple[str, ...] = ('_task', '_batch')

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
        # the tasks of a task-batched pass in progress, in row order
        self._batch: Optional[Tuple[str, ...]] = None
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
        """The task of the pass in progress (hooks read it); in a
        task-batched pass, the task of the chunk :meth:`per_task` is
        running."""
        if self._task is None:
            if self._batch is not None:
                raise RuntimeError(
                    f'{self.name} read its task in a task-batched pass of '
                    f'{list(self._batch)} outside BaseTuner.per_task: apply '
                    'per-task modules through per_task (or pass_keys)')
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

    @property
    def pass_keys(self) -> Tuple[str, ...]:
        """Module keys of the pass in progress, in the order of its rows:
        one key, or one per task of a task-batched pass (outside
        :meth:`per_task`'s chunks), whose weights a hook may stack and
        apply to the ``T`` equal chunks of its input's leading dimension
        at once."""
        if self._batch is not None and self._task is None:
            return tuple(self.module_key(t) for t in self._batch)
        return (self.current_key, )

    def per_task(self, fn: Callable[..., torch.Tensor], *tensors:
                 torch.Tensor) -> torch.Tensor:
        """``fn(*tensors)`` with the modules of the pass's task.

        In a task-batched pass the leading dimension of every tensor holds
        the tasks' rows in ``T`` equal chunks, in the order of the pass's
        tasks: ``fn`` then runs once per task on that task's chunks, with
        :attr:`current_task` set to it, and the outputs are concatenated
        along the leading dimension. Otherwise (and inside a chunk) it is
        ``fn(*tensors)``.

        Args:
            fn: ``(*chunks) -> (rows, ...)``; it reads the task's modules
                with :attr:`current_key` / :attr:`current_task`.
            *tensors: ``(T·n, ...)`` in a task-batched pass.

        Returns:
            ``(T·n, ...)``.
        """
        batch = self._batch
        if batch is None or self._task is not None:
            return fn(*tensors)
        rows = tensors[0].shape[0]
        if rows % len(batch) or any(t.shape[0] != rows for t in tensors):
            raise RuntimeError(
                f'{self.name}: a task-batched pass of {len(batch)} tasks '
                f'reached a hook with leading dimensions '
                f'{[t.shape[0] for t in tensors]}, not one multiple of '
                f'{len(batch)}')
        n = rows // len(batch)
        outs = []
        try:
            for k, task in enumerate(batch):
                self._task = task
                outs.append(fn(*(t[k * n:(k + 1) * n] for t in tensors)))
        finally:
            self._task = None
        return torch.cat(outs)

    def batched_passes_refusal(self) -> Optional[str]:
        """Why this tuner cannot serve several tasks in one pass now, or
        None when it can.

        Refused: tuners that do not run one pass per task (they run once
        already), and tuners that replace backbone tensors per task
        (:meth:`parameter_overrides`: BitFit and the other per-task tensor
        copies, DoRA when merged), since one pass runs with one set of
        backbone tensors.
        """
        if not self.run_mode.passes_per_task:
            return (f'it runs in {self.run_mode.value} mode, not one pass '
                    'per task')
        if any(self.parameter_overrides(t) for t in self.tasks):
            return ('it replaces backbone tensors per task '
                    '(parameter_overrides, applied with torch.func.'
                    'functional_call), and one pass has one set of backbone '
                    'tensors')
        return None

    @contextmanager
    def task_pass(self, task: Union[None, str,
                                    Sequence[str]]) -> Iterator[None]:
        """Context of one backbone pass for ``task``.

        Args:
            task: The task of a per-task pass; None for the one pass of a
                :attr:`RunMode.SHARED` or :attr:`RunMode.TASK_STREAMS`
                tuner; a sequence of tasks for one task-batched pass over
                their images, in that order (see :meth:`per_task`).
                :meth:`prepare_pass` and :meth:`finish_pass` get the task,
                or the tuple of tasks of a task-batched pass.

        Raises:
            RuntimeError: a task-batched pass of a tuner that cannot run
                one (:meth:`batched_passes_refusal`), in one line.
        """
        if task is not None and not isinstance(task, str):
            task = tuple(dict.fromkeys(task))
            if len(task) == 1:
                task = task[0]
        if task is None and self.run_mode.passes_per_task:
            raise RuntimeError(f'{self.name} runs one pass per task: a pass '
                               'needs its task')
        for t in (task if isinstance(task, tuple) else (task, )):
            if t is not None and t not in self.tasks:
                raise KeyError(f'{self.name} was built for tasks '
                               f'{list(self.tasks)}, not {t!r}')
        if isinstance(task, tuple):
            reason = self.batched_passes_refusal()
            if reason is not None:
                raise RuntimeError(f'{self.name} cannot run a task-batched '
                                   f'pass: {reason}')
            self._batch = task
        else:
            self._task = task
        try:
            self.prepare_pass(task)
            yield
        finally:
            self._task = None
            self._batch = None
            self.finish_pass(task)

    def prepare_pass(self, task: Union[None, str, Tuple[str, ...]]) -> None:
        """Called when a pass for ``task`` starts (the tuple of tasks of a
        task-batched pass; default: nothing)."""

    def finish_pass(self, task: Union[None, str, Tuple[str, ...]]) -> None:
        """Called when a pass for ``task`` ends (default: nothing)."""

    def pass_state(self) -> Dict[str, object]:
        """A snapshot of the pass in progress (:attr:`pass_state_attrs`;
        dicts and lists copied, their tensors not), taken where a block
        starts so that its recomputation by activation checkpointing, in
        the backward pass after the pass has ended, sees the same state
        (:meth:`restore_pass_state`)."""
        return {
            name: _shallow_copy(getattr(self, name))
            for name in self.pass_state_attrs
        }

    @contextmanager
    def restore_pass_state(self, state: Dict[str, object]) -> Iterator[None]:
        """Context with the pass state of ``state`` (:meth:`pass_state`);
        the state found on entry is put back on exit, so what the hooks
        write while a block is recomputed does not outlive it."""
        found = self.pass_state()
        try:
            for name, value in state.items():
                setattr(self, name, _shallow_copy(value))
            yield
        finally:
            for name, value in found.items():
                setattr(self, name, value)

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


def _shallow_copy(value):
    """``value``, or a new dict / list with its items."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value
