"""IA³ (Liu et al., NeurIPS 2022, "Few-Shot Parameter-Efficient Fine-Tuning
is Better and Cheaper than In-Context Learning"), per task, on Swin."""
from functools import partial
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmseg.registry import MODELS

from ..base import BaseTuner
from ..layers import IA3Scales
from ..sites import (SwinArch, block_linears, scale_linear_input,
                     scale_linear_output)

TARGETS = ('key', 'value', 'ffn')


@MODELS.register_module()
class IA3(BaseTuner):
    """Learned per-task scaling of keys, values and the FFN's hidden
    activations in every Swin block.

    ``k' = l_k ⊙ k``, ``v' = l_v ⊙ v`` (the key and value thirds of the
    fused ``qkv`` output), and ``FFN(x) = W_2 (l_ff ⊙ act(W_1 x))`` (the
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

    def build_modules(self, backbone: nn.Module, arch: SwinArch) -> None:
        for key in self.module_keys:
            self.scales[key] = self.per_block(
                arch, lambda info: IA3Scales(
                    info.dims,
                    block_linears(info.block)['fc1'].out_features, self.targets
                ))

    def install_hooks(self, backbone: nn.Module, arch: SwinArch) -> List:
        handles = []
        for info in arch.blocks:
            linears = block_linears(info.block)
            where = (info.stage, info.index)
            if 'key' in self.targets or 'value' in self.targets:
                handles += scale_linear_output(
                    linears['qkv'], partial(self._qkv_scale, *where))
            if 'ffn' in self.targets:
                handles += scale_linear_input(linears['fc2'],
                                              partial(self._ffn_scale, *where))
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
