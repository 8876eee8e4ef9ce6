"""Per-task copies of selected pretrained tensors (BitFit, relative-bias
tuning)."""
import re
from typing import Dict, List, Optional

import torch
import torch.nn as nn
from ....registry import TUNERS

from ..base import BaseTuner
from ...archs import ArchDescription, UnsupportedBackboneError


@TUNERS.register_module()
class PerTaskTensors(BaseTuner):
    """Train a per-task copy of every backbone tensor whose name matches.

    Each task gets its own copy of the selected tensors, initialised from
    the pretrained values; during a task's pass the backbone runs with that
    task's copies (:meth:`parameter_overrides`, applied with
    ``torch.func.functional_call`` by the wrapper), everything else frozen
    and shared. Copies are stored as ``copies.<task>.<i>`` with ``i``
    indexing :attr:`names`. Works on any backbone: only names are matched
    (the description, when the family has one, only groups them by stage).

    Args:
        pattern: Regex searched in backbone parameter names.
        shared: One copy for all tasks instead of one per task (then a
            single pass serves every task).
    """

    needs_arch = False

    def __init__(self,
                 pattern: str,
                 shared: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(shared=shared, init_cfg=init_cfg)
        self.pattern = pattern
        self.names: List[str] = []
        self.copies = nn.ModuleDict()

    def build_modules(self, backbone: nn.Module,
                      arch: Optional[ArchDescription]) -> None:
        regex = re.compile(self.pattern)
        params = dict(backbone.named_parameters())
        self.names = [n for n in params if regex.search(n)]
        if not self.names:
            raise UnsupportedBackboneError(
                f'{self.name} cannot run on {type(backbone).__name__}: it '
                f'needs backbone parameters matching {self.pattern!r}, but '
                'none does')
        stage_of = arch.stage_of_parameters() if arch is not None else {}
        for key in self.module_keys:
            copies = nn.ParameterList(
                nn.Parameter(params[n].detach().clone()) for n in self.names)
            for name, copy in zip(self.names, copies):
                if id(params[name]) in stage_of:
                    self.in_stage(stage_of[id(params[name])], copy)
            self.copies[key] = copies

    def install_hooks(self, backbone: nn.Module,
                      arch: Optional[ArchDescription]) -> List:
        return []

    def parameter_overrides(self,
                            task: Optional[str]) -> Dict[str, torch.Tensor]:
        copies = self.copies[self.module_key(task)]
        return dict(zip(self.names, copies))


@TUNERS.register_module()
class BitFit(PerTaskTensors):
    """BitFit, per task: every backbone tensor whose name holds ``bias``
    (Linear, conv and LayerNorm biases and the relative-position tables).
    On Swin-T that is 74,778 parameters per task."""

    def __init__(self, pattern: str = 'bias', **kwargs) -> None:
        super().__init__(pattern=pattern, **kwargs)


@TUNERS.register_module()
class RelativeBiasTuning(PerTaskTensors):
    """Per-task relative-position bias tables only (23,322 on Swin-T)."""

    def __init__(self,
                 pattern: str = 'relative_position_bias_table',
                 **kwargs) -> None:
        super().__init__(pattern=pattern, **kwargs)
