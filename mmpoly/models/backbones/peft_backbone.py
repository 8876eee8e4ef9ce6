"""The wrapper that adapts one frozen, pretrained backbone to several tasks."""
import copy
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmseg.registry import MODELS
from torch.func import functional_call
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import TUNERS
from ...tasks import check_task_names
from ..archs import ARCHS, ArchDescription, UnsupportedBackboneError
from ..run_mode import RunMode
from ..tuners import BaseTuner
from .block_checkpoint import blocks_with_cp, checkpoint_blocks
from .feature_channels import feature_channels
from .one_pass_drop_path import use_one_pass_drop_path
from .task_conditioned import Features, TaskConditionedBackbone
from .trainable_state_dict import TrainableOnlyStateDict


@MODELS.register_module()
class PEFTBackbone(TaskConditionedBackbone):
    """A frozen pretrained backbone, adapted per task by a tuning method.

    Construction follows mmpretrain's ``LoRAModel``: build the unmodified
    backbone from its config, load its pretrained weights (its
    ``init_cfg``), then add the tuner's modules beside it and freeze
    everything else. The backbone's state-dict keys are untouched (prefix
    ``backbone.``); the tuner's parameters live under ``tuner.`` and the
    per-task output norms under ``out_norms.<task>.<i>``.

    The backbone's family is read from ``ARCHS``
    (:mod:`mmpoly.models.archs`: Swin, Swin-V2, ConvNeXt, plain ViT): its
    output norms, its stochastic layers, and what the tuner needs.

    Forward: :meth:`forward_tasks` runs the backbone as the tuner's
    :attr:`~BaseTuner.run_mode` says: one pass per task inside the tuner's
    task context, or one pass for all tasks (no tuner, a shared tuner, or
    one with task streams). Each task's outputs then go through that task's
    output norms, then the feature pyramid if there is one. With
    ``batched_task_passes`` the per-task passes become one task-batched
    pass (see the argument).

    Activation checkpointing: a backbone built with ``with_cp=True`` (e.g.
    ``model.backbone.backbone.with_cp=True``) has its described blocks
    checkpointed by the wrapper instead of by themselves, so that a block
    recomputed in the backward pass sees the tuner's state of its pass
    (:mod:`.block_checkpoint`); :attr:`block_checkpoints` lists them.

    Args:
        backbone: Config of the backbone (e.g. ``mmpretrain.SwinTransformer``
            with ``out_indices=(0, 1, 2, 3)``), including its pretrained
            ``init_cfg`` (read in any layout mmpoly knows, checked and
            logged by :class:`~.pretrained_init.CheckedPretrainedInit`).
        tasks: Task names.
        tuner: Config of the tuning method (``TUNERS``, see
            :mod:`mmpoly.models.tuners`); None for a frozen backbone with
            trainable output norms only.
        freeze_backbone: Freeze every backbone parameter (the tuner may
            still replace some per task).
        per_task_out_norms: One output norm per (task, output),
            initialised from the backbone's own output norm, which is then
            bypassed (a new ``out_norm_cfg`` norm where the output has none,
            e.g. a ViT's intermediate layers). Otherwise the backbone's
            norms are used as they are.
        out_norm_cfg: Norm config of new output norms.
        pyramid_cfg: A neck applied to every task's outputs (e.g.
            ``dict(type='SimpleFeaturePyramid')`` for a plain ViT), None for
            none.
        frozen_stochastic_depth: Keep drop-path / dropout of the frozen
            backbone active in training. When False they act as in eval
            mode, so the frozen branches are deterministic.
        save_trainable_only: Adapter-only checkpoints: ``state_dict()``
            leaves out the frozen backbone tensors (they come from the
            pretrained checkpoint when the model is built) and stores a
            fingerprint of them, checked when loading.
        check_frozen_fingerprint: Refuse to load an adapter-only state dict
            saved with a different frozen backbone.
        batched_task_passes: For a tuner that runs one pass per task, run
            the ``T`` tasks' passes as one pass over the input repeated
            ``T`` times (``T·B`` images, task ``k``'s at rows
            ``k·B .. (k+1)·B``), each image through its own task's modules
            (:meth:`~mmpoly.models.tuners.BaseTuner.per_task`, stacked
            weights); the output is split back per task and goes through
            that task's output norms. Same arithmetic in fewer, larger
            kernels, but the ``T`` passes' activations are alive at once,
            and the segmentor then back-propagates the summed loss once.
            Refused in one line for tuners that replace backbone tensors
            per task (BitFit, relative-bias tuning, merged DoRA). No effect
            on tuners that run once for all tasks. Drop-path / dropout draw
            per image in both modes, so the two agree exactly only without
            them; BatchNorm in training mode (a backbone that is not
            frozen) would see all ``T·B`` images.
        init_cfg: Initialisation config of the wrapper's own modules.
    """

    def __init__(self,
                 backbone: dict,
                 tasks: Sequence[str],
                 tuner: Optional[dict] = None,
                 freeze_backbone: bool = True,
                 per_task_out_norms: bool = True,
                 out_norm_cfg: dict = dict(type='LN'),
                 pyramid_cfg: Optional[dict] = None,
                 frozen_stochastic_depth: bool = True,
                 save_trainable_only: bool = False,
                 check_frozen_fingerprint: bool = True,
                 batched_task_passes: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.tasks = check_task_names(tasks, 'backbone tasks')
        self.freeze_backbone = freeze_backbone
        self.frozen_stochastic_depth = frozen_stochastic_depth

        self.backbone = MODELS.build(backbone)
        self.backbone.init_weights()  # pretrained weights first
        # ... and only here: the runner's model.init_weights() must not
        # draw them again (backbones whose init_weights does not call
        # BaseModule's, like MMSeg's MiT without init_cfg, do not mark it)
        self.backbone._is_init = True
        # MMCV's stochastic depth, the same numbers in one pass
        self._drop_path_overrides = use_one_pass_drop_path(self.backbone)
        self.out_indices = tuple(getattr(self.backbone, 'out_indices', ()))
        self.arch: Optional[ArchDescription] = None
        try:
            self.arch = ARCHS.describe(self.backbone)
        except UnsupportedBackboneError:
            if per_task_out_norms or tuner is not None:
                raise  # its output norms / a method need the description

        self.out_norms = None
        if per_task_out_norms:
            self.out_norms = nn.ModuleDict(
                {t: self._take_out_norms(out_norm_cfg)
                 for t in self.tasks})
            self._bypass_backbone_out_norms()
        self.pyramid = MODELS.build(pyramid_cfg) if pyramid_cfg else None

        if freeze_backbone:
            for p in self.backbone.parameters():
                p.requires_grad = False

        self.tuner: Optional[BaseTuner] = None
        if tuner is not None:
            self.tuner = TUNERS.build(tuner)
            if not isinstance(self.tuner, BaseTuner):
                raise TypeError(
                    f'tuner {tuner.get("type")!r} builds a '
                    f'{type(self.tuner).__name__}, not a BaseTuner')
            self.tuner.attach(self.backbone, self.tasks, self.arch)
            self.tuner.init_weights()
        # after the tuner's hooks: a recomputed block replays its pass
        self._block_checkpoints = [] if self.arch is None else \
            checkpoint_blocks(blocks_with_cp(self.arch), self.tuner)
        self.batched_task_passes = bool(batched_task_passes)
        if self.batched_task_passes and self.run_mode.passes_per_task:
            reason = self.tuner.batched_passes_refusal()
            if reason is not None:
                raise ValueError(
                    f'PEFTBackbone(batched_task_passes=True): '
                    f'{self.tuner.name} cannot share one pass between tasks: '
                    f'{reason}; set batched_task_passes=False')

        # loading adapter-only state dicts always works; saving them is the
        # save_trainable_only switch
        self._trainable_state = TrainableOnlyStateDict(
            self, 'backbone', check_frozen_fingerprint)
        self.set_save_trainable_only(save_trainable_only)

    # ------------------------------------------------------------- set-up
    def _take_out_norms(self, norm_cfg: dict) -> nn.ModuleList:
        norms = nn.ModuleList()
        for out in self.arch.out_norms:
            if out.attr is None:
                norms.append(build_norm_layer(norm_cfg, out.width)[1])
            else:
                norms.append(
                    copy.deepcopy(self.backbone.get_submodule(out.attr)))
        for p in norms.parameters():
            p.requires_grad = True
        return norms

    def _bypass_backbone_out_norms(self) -> None:
        for out in self.arch.out_norms:
            if out.attr is not None:
                parent, _, name = out.attr.rpartition('.')
                setattr(
                    self.backbone.get_submodule(parent), name, nn.Identity())

    def set_save_trainable_only(self, enabled: bool) -> None:
        """Switch adapter-only state dicts on or off."""
        self._trainable_state.enabled = enabled
        self.save_trainable_only = enabled

    # ------------------------------------------------------------ forward
    @property
    def feature_channels(self) -> Optional[tuple]:
        """Channels of each output feature (the pyramid keeps them)."""
        if self.arch is not None:
            return self.arch.out_widths
        return feature_channels(self.backbone)

    @property
    def block_checkpoints(self) -> tuple:
        """The blocks' activation checkpointing, one
        :class:`~.block_checkpoint.CheckpointedForward` per block built with
        ``with_cp=True`` (``enabled`` switches it)."""
        return tuple(self._block_checkpoints)

    @property
    def run_mode(self) -> RunMode:
        """The tuner's run mode (:attr:`RunMode.SHARED` without one)."""
        return RunMode.SHARED if self.tuner is None else self.tuner.run_mode

    @property
    def separate_task_passes(self) -> bool:
        """Whether each task gets a pass of its own: one pass per task and
        not ``batched_task_passes``."""
        return self.run_mode.passes_per_task and not self.batched_task_passes

    def forward_tasks(self, inputs: torch.Tensor,
                      tasks: Sequence[str]) -> Dict[str, Features]:
        """See :meth:`TaskConditionedBackbone.forward_tasks`."""
        for t in tasks:
            if t not in self.tasks:
                raise KeyError(f'PEFTBackbone was built for tasks '
                               f'{list(self.tasks)}, not {t!r}')
        if self.run_mode.passes_per_task:
            tasks = tuple(dict.fromkeys(tasks))
            if self.batched_task_passes and len(tasks) > 1:
                return self._run_batched(inputs, tasks)
            return {
                t: self._task_outputs(self._run_backbone(inputs, t), t)
                for t in tasks
            }
        if self.tuner is None:
            feats = self.backbone(inputs)
            return {t: self._task_outputs(feats, t) for t in tasks}
        with self.tuner.task_pass(None):
            feats = self._call_backbone(inputs, None)
            return {
                t:
                self._task_outputs(
                    self.tuner.task_features(t, feats, self.out_indices), t)
                for t in tasks
            }

    def forward(self,
                inputs: torch.Tensor,
                task: Optional[str] = None) -> Features:
        """Features for one task (``task`` may be omitted with one task)."""
        if task is None:
            if len(self.tasks) != 1:
                raise ValueError('PEFTBackbone.forward needs task= when built '
                                 f'for several tasks {list(self.tasks)}')
            task = self.tasks[0]
        return self.forward_tasks(inputs, [task])[task]

    def _run_backbone(self, inputs: torch.Tensor, task: str) -> Features:
        """One backbone pass for ``task`` inside the tuner's context."""
        with self.tuner.task_pass(task):
            return self._call_backbone(inputs, task)

    def _run_batched(self, inputs: torch.Tensor,
                     tasks: tuple) -> Dict[str, Features]:
        """One task-batched pass for ``tasks``: the ``(B, ...)`` input
        repeated ``T`` times, task ``k``'s images at rows ``k·B ..
        (k+1)·B``; each task's rows of every output then go through its
        output norms."""
        n = inputs.shape[0]
        repeated = inputs.expand(len(tasks), *inputs.shape).reshape(
            len(tasks) * n, *inputs.shape[1:])
        with self.tuner.task_pass(tasks):
            # a task-batched pass has no per-task backbone tensors (the
            # tuner refuses it otherwise)
            feats = tuple(self.backbone(repeated))
        return {
            t:
            self._task_outputs(tuple(x[k * n:(k + 1) * n] for x in feats), t)
            for k, t in enumerate(tasks)
        }

    def _call_backbone(self, inputs: torch.Tensor,
                       task: Optional[str]) -> Features:
        overrides = self.tuner.parameter_overrides(task)
        if not overrides:
            return self.backbone(inputs)
        if torch.jit.is_tracing():
            # FLOP counting traces the model, which torch.func refuses: run
            # the traced pass with the task's tensors copied in place
            return self._call_with_copied_tensors(inputs, overrides)
        return functional_call(
            self.backbone, overrides, (inputs, ), strict=False)

    @torch.no_grad()
    def _call_with_copied_tensors(self, inputs: torch.Tensor,
                                  overrides: dict) -> Features:
        params = dict(self.backbone.named_parameters())
        saved = {n: params[n].detach().clone() for n in overrides}
        try:
            for name, value in overrides.items():
                params[name].copy_(value)
            return self.backbone(inputs)
        finally:
            for name, value in saved.items():
                params[name].copy_(value)

    def _task_outputs(self, feats: Features, task: str) -> Features:
        """``task``'s output norms, then the pyramid, on its features."""
        feats = tuple(feats)
        if self.out_norms is not None:
            outs: List[torch.Tensor] = []
            for x, norm, out in zip(feats, self.out_norms[task],
                                    self.arch.out_norms):
                if out.channels_last:
                    x = norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
                    x = x.contiguous()
                else:
                    x = norm(x)
                outs.append(x)
            feats = tuple(outs)
        return feats if self.pyramid is None else tuple(self.pyramid(feats))

    # -------------------------------------------------------------- modes
    @property
    def _stochastic_types(self) -> tuple:
        return self.arch.stochastic_types if self.arch is not None \
            else (nn.Dropout, )

    def train(self, mode: bool = True) -> 'PEFTBackbone':
        """Set the mode; frozen parts keep the mode they need.

        Frozen BatchNorm layers stay in eval mode (their statistics must not
        drift). With ``frozen_stochastic_depth=False`` the frozen backbone's
        drop-path and dropout layers stay in eval mode too.
        """
        super().train(mode)
        if mode and self.freeze_backbone:
            for m in self.backbone.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
                elif not self.frozen_stochastic_depth and isinstance(
                        m, self._stochastic_types):
                    m.eval()
        return self
