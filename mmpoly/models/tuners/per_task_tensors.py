"""Per-task copies of selected pretrained tensors (BitFit, relative-bias
tuning)."""
import re
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmseg.registry import MODELS

from .base_tuner import BaseTuner
from .swin_sites import SwinArch


@MODELS.register_module()
class PerTaskTensors(BaseTuner):
    """Train a per-task copy of every backbone tensor whose name matches.

    Each task gets its own copy of the selected tensors, initialised from
    the pretrained values; during a task's pass the backbone runs with that
    task's copies (:meth:`parameter_overrides`, applied with
    ``torch.func.functional_call``), everything else frozen and shared.
    Copies are stored as ``copies.<task>.<i>`` with ``i`` indexing
    :attr:`names`.

    Args:
        pattern: Regex searched in backbone parameter names.
        shared: One copy for all tasks instead of one per task (then a
            single pass serves every task).
    """

    def __init__(self,
                 pattern: str,
                 shared: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.pattern = pattern
        self.shared = shared
        self.task_specific = not shared
        self.names: List[str] = []
        self.copies = nn.ModuleDict()
        self._stage_of: Dict[str, int] = {}

    def attach(self, backbone: nn.Module, tasks: Sequence[str]) -> None:
        self._backbone_params = dict(backbone.named_parameters())
        super().attach(backbone, tasks)

    def build_modules(self, arch: SwinArch, tasks: Sequence[str]) -> None:
        regex = re.compile(self.pattern)
        self.names = [n for n in self._backbone_params if regex.search(n)]
        if not self.names:
            raise ValueError(f'no backbone parameter matches {self.pattern!r}')
        for key in (['shared'] if self.shared else list(tasks)):
            self.copies[key] = nn.ParameterList(
                nn.Parameter(self._backbone_params[n].detach().clone())
                for n in self.names)
        del self._backbone_params  # not a submodule: do not keep it

    def install_hooks(self, backbone: nn.Module, arch: SwinArch) -> List:
        return []

    def parameter_overrides(self,
                            task: Optional[str]) -> Dict[str, torch.Tensor]:
        copies = self.copies['shared' if self.shared else task]
        return dict(zip(self.names, copies))

    def parameters_by_stage(self) -> Dict[str, int]:
        counts: Dict[str, int] = {}
        for key, copies in self.copies.items():
            for name, p in zip(self.names, copies):
                m = re.match(r'stages\.(\d+)\.', name)
                stage = f'stage {int(m.group(1)) + 1}' if m else 'shared'
                counts[stage] = counts.get(stage, 0) + p.numel()
        return counts


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
