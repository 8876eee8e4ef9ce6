"""Per-task copies of selected pretrained tensors (BitFit, relative-bias
tuning)."""
import re
from typing import Dict, List, Optional

import torch
import torch.nn as nn
from mmseg.registry import MODELS

from ..base import BaseTuner
from ..sites import SwinArch


def _stage_of_parameters(backbone: nn.Module) -> Dict[int, int]:
    """``id(parameter)`` -> index of the backbone stage holding it (for
    backbones with ``stages``; parameters outside every stage are absent)."""
    stages = getattr(backbone, 'stages', None) or ()
    return {
        id(p): s
        for s, stage in enumerate(stages)
        for p in stage.parameters()
    }


@MODELS.register_module()
class PerTaskTensors(BaseTuner):
    """Train a per-task copy of every backbone tensor whose name matches.

    Each task gets its own copy of the selected tensors, initialised from
    the pretrained values; during a task's pass the backbone runs with that
    task's copies (:meth:`parameter_overrides`, applied with
    ``torch.func.functional_call`` by the wrapper), everything else frozen
    and shared. Copies are stored as ``copies.<task>.<i>`` with ``i``
    indexing :attr:`names`. Works on any backbone: only names are matched.

    Args:
        pattern: Regex searched in backbone parameter names.
        shared: One copy for all tasks instead of one per task (then a
            single pass serves every task).
    """

    uses_swin_sites = False

    def __init__(self,
                 pattern: str,
                 shared: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(shared=shared, init_cfg=init_cfg)
        self.pattern = pattern
        self.names: List[str] = []
        self.copies = nn.ModuleDict()

    def build_modules(self, backbone: nn.Module,
                      arch: Optional[SwinArch]) -> None:
        regex = re.compile(self.pattern)
        params = dict(backbone.named_parameters())
        self.names = [n for n in params if regex.search(n)]
        if not self.names:
            raise ValueError(f'no backbone parameter matches {self.pattern!r}')
        stage_of = _stage_of_parameters(backbone)
        for key in self.module_keys:
            copies = nn.ParameterList(
                nn.Parameter(params[n].detach().clone()) for n in self.names)
            for name, copy in zip(self.names, copies):
                if id(params[name]) in stage_of:
                    self.in_stage(stage_of[id(params[name])], copy)
            self.copies[key] = copies

    def install_hooks(self, backbone: nn.Module,
                      arch: Optional[SwinArch]) -> List:
        return []

    def parameter_overrides(self,
                            task: Optional[str]) -> Dict[str, torch.Tensor]:
        copies = self.copies[self.module_key(task)]
        return dict(zip(self.names, copies))


@MODELS.register_module()
class BitFit(PerTaskTensors):
    """BitFit, per task: every backbone tensor whose name holds ``bias``
    (Linear, conv and LayerNorm biases and the relative-position tables).
    On Swin-T that is 74,778 parameters per task."""

    def __init__(self, pattern: str = 'bias', **kwargs) -> None:
        super().__init__(pattern=pattern, **kwargs)


@MODELS.register_module()
class RelativeBiasTuning(PerTaskTensors):
    """Per-task relative-position bias tables only (23,322 on Swin-T)."""

    def __init__(self,
                 pattern: str = 'relative_position_bias_table',
                 **kwargs) -> None:
        super().__init__(pattern=pattern, **kwargs)
