"""Base class of methods whose adapters' weights are generated per task."""
from abc import abstractmethod
from functools import partial
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from .adapter_weights import ACTIVATIONS, AdapterWeights, adapter_delta
from .base_tuner import BaseTuner
from .hypernetwork_layers import (FullGenerator, LowRankGenerator,
                                  init_hypernetwork)
from .swin_sites import (SwinArch, add_parallel_branch, add_serial_branch,
                         check_placement)

SiteKey = Tuple[int, int, str]  # (stage, block index in stage, position)


class HyperAdapterTuner(BaseTuner):
    """Adapters in every Swin block whose weights a hypernetwork generates.

    At the start of each task pass :meth:`generate` produces the weights of
    every adapter for that task (once, for all blocks); the hooks then apply
    them. In eval mode without autograd the generated weights are cached
    per task and reused for every image until any parameter of the tuner
    changes (optimiser step, ``load_state_dict``, device move).

    Args:
        positions: Sub-layers that get an adapter: ``'attn'`` and/or
            ``'ffn'``.
        placement: ``'parallel'`` (adapter reads the sub-layer's residual
            input, its output is added to the sub-layer's) or ``'serial'``
            (adapter wraps the sub-layer's branch output before drop-path).
        activation: Adapter non-linearity (``silu``, ``gelu``, ``relu``).
        linear_std: Std of the normal initialisation of every Linear.
        embed_std: Std of the normal initialisation of embeddings and
            scaling kernels.
        zero_init_up: Start every generated up-projection (its left factor),
            up bias and LayerNorm shift at zero, so the adapters output 0 and
            the wrapped backbone computes its pretrained features at step 0
            (as LoRA's B = 0). False is the reference initialisation, under
            which adapters perturb the features from the start.
        init_cfg: Extra MMEngine initialisation config.
    """

    def __init__(self,
                 positions: Sequence[str] = ('attn', 'ffn'),
                 placement: str = 'parallel',
                 activation: str = 'silu',
                 linear_std: float = 0.01,
                 embed_std: float = 1.0,
                 zero_init_up: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        positions = check_placement(positions, placement)
        if activation not in ACTIVATIONS:
            raise ValueError(f'activation must be one of '
                             f'{sorted(ACTIVATIONS)}, got {activation!r}')
        self.positions = positions
        self.placement = placement
        self.activation = activation
        self.linear_std = linear_std
        self.embed_std = embed_std
        self.zero_init_up = zero_init_up
        self._weights: Optional[Dict[SiteKey, AdapterWeights]] = None
        self._cache: Dict[str, Tuple[tuple, Dict[SiteKey,
                                                 AdapterWeights]]] = {}

    # ------------------------------------------------------------- set-up
    def install_hooks(self, backbone: nn.Module, arch: SwinArch) -> List:
        add = add_parallel_branch if self.placement == 'parallel' \
            else add_serial_branch
        handles = []
        for info in arch.blocks:
            for pos in self.positions:
                key = (info.stage, info.index, pos)
                handles += add(info.block, pos, partial(self._branch, key))
        return handles

    def init_weights(self) -> None:
        super().init_weights()
        init_hypernetwork(self, self.linear_std, self.embed_std)
        if self.zero_init_up:
            self.zero_up_projections()

    def zero_up_projections(self) -> None:
        """Zero the generators of what the adapter adds to the stream: the
        up projection's left factor, the up bias and the LayerNorm shift."""
        for name, m in self.named_modules():
            leaf = name.rsplit('.', 1)[-1]
            if leaf == 'up' and isinstance(m, LowRankGenerator):
                m.zero_left_()
            elif leaf == 'up' and isinstance(m, FullGenerator):
                nn.init.zeros_(m.fc.weight)
                nn.init.zeros_(m.fc.bias)
            elif leaf in ('up_bias', 'norm_bias') and isinstance(m, nn.Linear):
                nn.init.zeros_(m.weight)
                nn.init.zeros_(m.bias)

    @abstractmethod
    def generate(self, task: str) -> Dict[SiteKey, AdapterWeights]:
        """Weights of every adapter for ``task``, keyed by site."""

    # ----------------------------------------------------------- per pass
    def prepare_pass(self, task: str) -> None:
        if self.training or torch.is_grad_enabled():
            self._cache.clear()
            self._weights = self.generate(task)
            return
        key = self._state_key()
        hit = self._cache.get(task)
        if hit is None or hit[0] != key:
            hit = (key, self.generate(task))
            self._cache[task] = hit
        self._weights = hit[1]

    def finish_pass(self, task: str) -> None:
        self._weights = None

    def _state_key(self) -> tuple:
        return tuple(
            (p._version, p.data_ptr(), p.dtype) for p in self.parameters())

    def _branch(self, key: SiteKey, x: torch.Tensor) -> torch.Tensor:
        if self._weights is None:
            self.current_task  # raises the explanatory error
        return adapter_delta(x, self._weights[key], self.activation)

    @property
    def cached_tasks(self) -> Tuple[str, ...]:
        """Tasks whose eval-mode weights are cached (for tests/benchmarks)."""
        return tuple(self._cache)
