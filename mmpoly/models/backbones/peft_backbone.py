"""The wrapper that adapts one frozen, pretrained backbone to several tasks."""
import copy
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmseg.registry import MODELS
from torch.func import functional_call
from torch.nn.modules.batchnorm import _BatchNorm

from ...tasks import check_task_names
from ..tuners import BaseTuner
from .feature_channels import feature_channels
from .task_conditioned import Features, TaskConditionedBackbone
from .trainable_state_dict import TrainableOnlyStateDict

_STOCHASTIC = (nn.Dropout, )


def _is_stochastic(module: nn.Module) -> bool:
    name = type(module).__name__
    return isinstance(module, _STOCHASTIC) or name == 'DropPath'


@MODELS.register_module()
class PEFTBackbone(TaskConditionedBackbone):
    """A frozen pretrained backbone, adapted per task by a tuning method.

    Construction follows mmpretrain's ``LoRAModel``: build the unmodified
    backbone from its config, load its pretrained weights (its
    ``init_cfg``), then add the tuner's modules beside it and freeze
    everything else. The backbone's state-dict keys are untouched (prefix
    ``backbone.``); the tuner's parameters live under ``tuner.`` and the
    per-task output norms under ``out_norms.<task>.<i>``.

    Forward: :meth:`forward_tasks` runs one backbone pass per task, inside
    the tuner's task context, or a single shared pass when nothing before
    the outputs depends on the task (no tuner, or a shared tuner). Each
    task's stage outputs then go through that task's output LayerNorms.

    Args:
        backbone: Config of the backbone (e.g. ``mmpretrain.SwinTransformer``
            with ``out_indices=(0, 1, 2, 3)``), including its pretrained
            ``init_cfg`` (read in any layout mmpoly knows, checked and
            logged by :class:`~.pretrained_init.CheckedPretrainedInit`).
        tasks: Task names.
        tuner: Config of the tuning method (see :mod:`mmpoly.models.tuners`);
            None for a frozen backbone with trainable output norms only.
        freeze_backbone: Freeze every backbone parameter (the tuner may
            still replace some per task).
        per_task_out_norms: One output LayerNorm per (task, stage),
            initialised from the backbone's own output norms, which are then
            bypassed. Otherwise the backbone's norms are used as they are.
        out_norm_cfg: Norm config of new output norms.
        frozen_stochastic_depth: Keep drop-path / dropout of the frozen
            backbone active in training. When False they act as in eval
            mode, so the frozen branches are deterministic.
        save_trainable_only: Adapter-only checkpoints: ``state_dict()``
            leaves out the frozen backbone tensors (they come from the
            pretrained checkpoint when the model is built) and stores a
            fingerprint of them, checked when loading.
        check_frozen_fingerprint: Refuse to load an adapter-only state dict
            saved with a different frozen backbone.
        init_cfg: Initialisation config of the wrapper's own modules.
    """

    def __init__(self,
                 backbone: dict,
                 tasks: Sequence[str],
                 tuner: Optional[dict] = None,
                 freeze_backbone: bool = True,
                 per_task_out_norms: bool = True,
                 out_norm_cfg: dict = dict(type='LN'),
                 frozen_stochastic_depth: bool = True,
                 save_trainable_only: bool = False,
                 check_frozen_fingerprint: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.tasks = check_task_names(tasks, 'backbone tasks')
        self.freeze_backbone = freeze_backbone
        self.frozen_stochastic_depth = frozen_stochastic_depth

        self.backbone = MODELS.build(backbone)
        self.backbone.init_weights()  # pretrained weights first

        self.out_indices = tuple(getattr(self.backbone, 'out_indices', ()))
        self.out_norms = None
        if per_task_out_norms:
            self.out_norms = nn.ModuleDict(
                {t: self._take_out_norms(out_norm_cfg)
                 for t in self.tasks})
            self._bypass_backbone_out_norms()

        if freeze_backbone:
            for p in self.backbone.parameters():
                p.requires_grad = False

        self.tuner: Optional[BaseTuner] = None
        if tuner is not None:
            self.tuner = MODELS.build(tuner)
            if not isinstance(self.tuner, BaseTuner):
                raise TypeError(
                    f'tuner {tuner.get("type")!r} builds a '
                    f'{type(self.tuner).__name__}, not a BaseTuner')
            self.tuner.attach(self.backbone, self.tasks)
            self.tuner.init_weights()

        # loading adapter-only state dicts always works; saving them is the
        # save_trainable_only switch
        self._trainable_state = TrainableOnlyStateDict(
            self, 'backbone', check_frozen_fingerprint)
        self.set_save_trainable_only(save_trainable_only)

    # ------------------------------------------------------------- set-up
    def _out_norm_of(self, i: int) -> nn.Module:
        return getattr(self.backbone, f'norm{i}', nn.Identity())

    def _take_out_norms(self, norm_cfg: dict) -> nn.ModuleList:
        norms = nn.ModuleList()
        widths = getattr(self.backbone, 'num_features', None)
        for i in self.out_indices:
            src = self._out_norm_of(i)
            if isinstance(src, nn.Identity):
                if widths is None:
                    raise ValueError(
                        f'cannot tell the width of output {i} of '
                        f'{type(self.backbone).__name__} for its new norm')
                norms.append(build_norm_layer(norm_cfg, widths[i])[1])
            else:
                norms.append(copy.deepcopy(src))
        for p in norms.parameters():
            p.requires_grad = True
        return norms

    def _bypass_backbone_out_norms(self) -> None:
        for i in self.out_indices:
            if hasattr(self.backbone, f'norm{i}'):
                setattr(self.backbone, f'norm{i}', nn.Identity())

    def set_save_trainable_only(self, enabled: bool) -> None:
        """Switch adapter-only state dicts on or off."""
        self._trainable_state.enabled = enabled
        self.save_trainable_only = enabled

    # ------------------------------------------------------------ forward
    @property
    def feature_channels(self) -> Optional[tuple]:
        """Channels of each output feature."""
        return feature_channels(self.backbone)

    @property
    def shares_pass(self) -> bool:
        return self.tuner is None or not self.tuner.task_specific

    def forward_tasks(self, inputs: torch.Tensor,
                      tasks: Sequence[str]) -> Dict[str, Features]:
        """See :meth:`TaskConditionedBackbone.forward_tasks`."""
        for t in tasks:
            if t not in self.tasks:
                raise KeyError(f'PEFTBackbone was built for tasks '
                               f'{list(self.tasks)}, not {t!r}')
        if not self.shares_pass:
            return {
                t: self._apply_out_norms(self._run_backbone(inputs, t), t)
                for t in tasks
            }
        if self.tuner is None:
            feats = self.backbone(inputs)
            return {t: self._apply_out_norms(feats, t) for t in tasks}
        with self.tuner.task_pass(None):
            feats = self._call_backbone(inputs, None)
            return {
                t:
                self._apply_out_norms(
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

    def _apply_out_norms(self, feats: Features, task: str) -> Features:
        if self.out_norms is None:
            return tuple(feats)
        outs: List[torch.Tensor] = []
        for x, norm in zip(feats, self.out_norms[task]):
            outs.append(
                norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2).contiguous())
        return tuple(outs)

    # -------------------------------------------------------------- modes
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
                elif not self.frozen_stochastic_depth and _is_stochastic(m):
                    m.eval()
        return self
