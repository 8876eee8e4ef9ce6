"""Base class of methods whose adapters' weights are generated per task."""
from abc import abstractmethod
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from ..layers import (ACTIVATIONS, AdapterGenerators, AdapterWeights,
                      adapter_delta_per_task, reset_hypernetwork)
from ...archs import ArchDescription
from ...float32_island import float32_island
from ..sites import add_adapter_branches, check_placement
from .arguments import check_choice
from .base_tuner import BaseTuner

SiteKey = Tuple[int, int, str]  # (stage, block index in stage, position)


class HyperAdapterTuner(BaseTuner):
    """Adapters in every block whose weights a hypernetwork generates.

    At the start of each task pass :meth:`generate` produces the weights of
    every adapter for that task (once, for all blocks); the hooks then apply
    them. A task-batched pass generates them for each of its tasks, and the
    hooks apply the tasks' weights stacked, to their rows at once. In eval
    mode without autograd the generated weights are cached per task and
    reused for every image until any parameter of the tuner changes (see
    :meth:`_parameters_state`).

    Subclasses build their hypernetworks in :meth:`build_modules` from
    :mod:`..layers` (declaring their embeddings in ``embedding_names``)
    and implement :meth:`generate`.

    Args:
        embed_dims: Task (and layer / position) embedding width ``E``.
        hidden_dims: Task projector hidden width ``h``.
        code_dims: Task projector output width ``P``.
        reduction: Adapter reduction factor ``ρ`` (``d = C / ρ``).
        norm_generators: Generate a LayerNorm after each adapter.
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

    embedding_names = ('task_embeds', )
    #: The generated weights are per-pass state.
    pass_state_attrs = BaseTuner.pass_state_attrs + ('_weights', )

    def __init__(self,
                 embed_dims: int = 128,
                 hidden_dims: int = 128,
                 code_dims: int = 64,
                 reduction: int = 1,
                 norm_generators: bool = False,
                 positions: Sequence[str] = ('attn', 'ffn'),
                 placement: str = 'parallel',
                 activation: str = 'silu',
                 linear_std: float = 0.01,
                 embed_std: float = 1.0,
                 zero_init_up: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.positions = check_placement(positions, placement)
        check_choice('activation', activation, ACTIVATIONS)
        self.embed_dims, self.hidden_dims = embed_dims, hidden_dims
        self.code_dims, self.reduction = code_dims, reduction
        self.norm_generators = norm_generators
        self.task_embeds: Optional[nn.Parameter] = None
        self.placement = placement
        self.activation = activation
        self.linear_std = linear_std
        self.embed_std = embed_std
        self.zero_init_up = zero_init_up
        # the generated weights of the pass's task(s), in row order
        self._weights: Optional[Tuple[Dict[SiteKey, AdapterWeights],
                                      ...]] = None
        self._cache: Dict[str, Tuple[tuple, Dict[SiteKey,
                                                 AdapterWeights]]] = {}

    # ------------------------------------------------------------- set-up
    def check_backbone(self, arch: ArchDescription) -> None:
        arch.require_positions(self.name, self.positions)

    def install_hooks(self, backbone: nn.Module,
                      arch: ArchDescription) -> List:
        return add_adapter_branches(arch, self.positions, self.placement,
                                    self._branch)

    def init_weights(self) -> None:
        super().init_weights()
        reset_hypernetwork(self, self.linear_std, self.embed_std)
        if self.zero_init_up:
            for m in self.modules():
                if isinstance(m, AdapterGenerators):
                    m.zero_output_()

    @abstractmethod
    def generate(self, task: str) -> Dict[SiteKey, AdapterWeights]:
        """Weights of every adapter for ``task``, keyed by site."""

    # ----------------------------------------------------------- per pass
    def prepare_pass(self, task: Union[str, Tuple[str, ...]]) -> None:
        tasks = task if isinstance(task, tuple) else (task, )
        # the hypernetworks run in float32 under mixed precision; the
        # adapters cast the generated weights where they apply them
        with float32_island():
            self._weights = tuple(self._generated(t) for t in tasks)

    def _generated(self, task: str) -> Dict[SiteKey, AdapterWeights]:
        """``task``'s weights: generated, or in eval mode without autograd
        from the cache."""
        if self.training or torch.is_grad_enabled():
            self._cache.clear()
            return self.generate(task)
        key = self._parameters_state()
        hit = self._cache.get(task)
        if hit is None or hit[0] != key:
            hit = (key, self.generate(task))
            self._cache[task] = hit
        return hit[1]

    def finish_pass(self, task: Union[str, Tuple[str, ...]]) -> None:
        self._weights = None

    def train(self, mode: bool = True) -> 'HyperAdapterTuner':
        self._cache.clear()  # explicit, though the key below would see it
        return super().train(mode)

    def _parameters_state(self) -> tuple:
        """What the cached weights were generated from.

        ``Tensor._version`` is the counter of in-place writes that autograd
        itself relies on to refuse backward through a tensor modified after
        it was saved: every in-place write bumps it (optimiser steps,
        ``load_state_dict``'s ``copy_``, ``add_`` under ``no_grad``), so
        an unchanged version means unchanged values. ``data_ptr`` catches a
        parameter whose storage was replaced (``.data = ...``, device
        moves), ``dtype`` a cast. The cache is cleared on every
        :meth:`train` call as well, and is never used while autograd
        records, so a stale entry cannot reach a gradient.
        """
        return tuple(
            (p._version, p.data_ptr(), p.dtype) for p in self.parameters())

    def _branch(self, stage: int, index: int, pos: str,
                x: torch.Tensor) -> torch.Tensor:
        if self._weights is None:
            self.current_task  # raises the explanatory error
        site = (stage, index, pos)
        return adapter_delta_per_task(x, [w[site] for w in self._weights],
                                      self.activation)

    @property
    def cached_tasks(self) -> Tuple[str, ...]:
        """Tasks whose eval-mode weights are cached (for tests/benchmarks)."""
        return tuple(self._cache)
