"""IA³ (Liu et al., NeurIPS 2022, "Few-Shot Parameter-Efficient Fine-Tuning
is Better and Cheaper than In-Context Learning"), per task."""
from functools import partial
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from ....registry import TUNERS

from ...archs import ArchDescription
from ..base import BaseTuner
from ..layers import IA3Scales
from ..sites import scale_linear_input, scale_linear_output

TARGETS = ('key', 'value', 'ffn')


@TUNERS.register_module()
class IA3(BaseTuner):
    """Learned per-task scaling of keys, values and the FFN's hidden
    activations in every block.

    ``k' = l_k ⊙ k``, ``v' = l_v ⊙ v`` (the key and value thirds of the
    fused ``qkv`` output, so ``key`` and ``value`` need a block that calls
    a fused q;k;v Linear), and ``FFN(x) = W_2 (l_ff ⊙ act(W_1 x))`` (the
    input of ``fc2``). Every vector starts at one. Parameters:
    ``scales.<task>.<stage>.<block>.{key,value,ffn}``. On Swin-T with 4
    tasks: 4 × 6 × (2·96 + 2·192 + 6·384 + 2·768) = 105,984.

    Args:
        targets: Scaled activations, from ``key``, ``value``, ``ffn``.
        shared: One set of vectors for all tasks (one shared pass).
    """

    def __init__(self,
                 targets: Sequence[str] = TARGETS,
                 shared: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(shared=shared, init_cfg=init_cfg)
        targets = tuple(targets)
        if not targets or any(t not in TARGETS for t in targets) \
                or len(set(targets)) != len(targets):
            raise ValueError(f'targets must be a non-empty subset of '
                             f'{TARGETS}, got {targets}')
        self.targets = targets
        self.scales = nn.ModuleDict()

    def check_backbone(self, arch: ArchDescription) -> None:
        needs = ['qkv'] if {'key', 'value'} & set(self.targets) else []
        arch.require_linears(
            f'{self.name}(targets={self.targets})',
            needs + (['fc1', 'fc2'] if 'ffn' in self.targets else []))

    def build_modules(self, backbone: nn.Module,
                      arch: ArchDescription) -> None:
        for key in self.module_keys:
            self.scales[key] = self.per_block(
                arch, lambda info: IA3Scales(
                    info.dims, info.linears['fc2'].in_features
                    if 'ffn' in self.targets else 0, self.targets))

    def install_hooks(self, backbone: nn.Module,
                      arch: ArchDescription) -> List:
        handles = []
        for info in arch.blocks:
            linears = info.linears
            where = (info.stage, info.index)
            if 'key' in self.targets or 'value' in self.targets:
                handles += scale_linear_output(
                    linears['qkv'], partial(self._qkv_scale, *where),
                    self.per_task)
            if 'ffn' in self.targets:
                handles += scale_linear_input(linears['fc2'],
                                              partial(self._ffn_scale, *where),
                                              self.per_task)
        return handles

    def _scales(self, stage: int, index: int) -> IA3Scales:
        return self.scales[self.current_key][stage][index]

    def _qkv_scale(self, stage: int, index: int) -> torch.Tensor:
        return self._scales(stage, index).qkv_scale()

    def _ffn_scale(self, stage: int, index: int) -> torch.Tensor:
        return self._scales(stage, index).ffn

    def init_weights(self) -> None:
        super().init_weights()
        for m in self.modules():
            if isinstance(m, IA3Scales):
                m.reset_parameters()
