"""Task streams at stage ends: one backbone pass, a feature per task.

The mechanism of MTLoRA and of the methods built on its protocol
(TADFormer, DiTASK, DoRA in MTLoRA's layout). The backbone runs once, on a
stream shared by all tasks. After the last block of every stage, that block
is run once more per task (a *task stream*) from the same input; inside a
stream, each named Linear of the block computes the task's output
(:meth:`TaskStreamTuner.stream_linear`), typically the frozen output of
the shared pass plus a task term on the stream's own input. The task's
feature of that stage is its stream's output (after the stage's patch
merging when the backbone's outputs are taken after it), while the shared
output continues to the next stage.
"""
from dataclasses import dataclass
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ...archs import ArchDescription, BlockInfo
from ...run_mode import RunMode
from ..sites import (ForwardOverride, frozen_linear, override_linear,
                     tokens_as_feature_map)
from .base_tuner import BaseTuner

#: The backbone tensors MTLoRA trains besides its own modules (Swin names:
#: patch embedding, every LayerNorm, the patch-merging reductions, the
#: relative-position tables), the default ``unfreeze`` of the methods of its
#: protocol.
MTLORA_UNFREEZE = ('patch_embed', 'norm', 'downsample.reduction',
                   'relative_position_bias_table')
#: The Linear roles MTLoRA adapts: shared in every block, per task in the
#: stage's last block.
SHARED_TARGETS = ('qkv', 'proj', 'fc1', 'fc2')
TASK_TARGETS = ('proj', 'fc1', 'fc2')


@dataclass
class SharedLinear:
    """What a Linear of a stage's last block computed in the shared pass.

    Attributes:
        input: Its input ``x`` ``(..., C_in)``.
        frozen: ``W x + b`` (None when the method never computes it).
        output: What the shared pass used, ``(..., C_out)``.
    """
    input: torch.Tensor
    frozen: Optional[torch.Tensor]
    output: torch.Tensor


class TaskStreamTuner(BaseTuner):
    """Base of the methods with per-task streams at stage ends.

    Subclasses build their modules and implement:

    - :meth:`shared_linear`: a Linear of a stage's last block in the shared
      pass (default: the frozen Linear);
    - :meth:`stream_linear`: the same Linear in a task's stream (default:
      the shared pass's output, so a Linear the method does not adapt per
      task, e.g. ``qkv``, gives the shared stream's attention);
    - :meth:`block_hooks`: the hooks of every block except on the last
      block's Linear layers (e.g. shared LoRA terms);
    - optionally :meth:`finish_stream` (e.g. a gate on the stream output);
    - optionally :meth:`streams_share_attention` (True when a stream's
      attention is the shared pass's, so that streams skip recomputing it).

    Args:
        unfreeze: Substrings of backbone parameter names to train as well
            (e.g. MTLoRA's patch embedding, LayerNorms, merge reductions and
            relative-position tables); the names are kept in
            :attr:`unfrozen`.
        init_cfg: MMEngine initialisation config.
    """

    own_run_mode = RunMode.TASK_STREAMS
    #: A stream's task, and what the shared pass's last blocks computed
    #: (a stream's Linear layers read it).
    pass_state_attrs = BaseTuner.pass_state_attrs + ('_stream', '_shared')

    def __init__(self,
                 unfreeze: Sequence[str] = (),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(unfreeze, str):
            raise TypeError(f'unfreeze must be a list of name substrings, '
                            f'got the string {unfreeze!r}')
        self.unfreeze = tuple(unfreeze)
        self.unfrozen: List[str] = []
        self._stream: Optional[str] = None
        # (stage, task) -> the stream's output (after any patch merging)
        self._outputs: Dict[Tuple[int, str], torch.Tensor] = {}
        # stage -> the forward arguments of its last block in this pass
        self._block_args: Dict[int, tuple] = {}
        self._shared: Dict[Tuple[int, str], SharedLinear] = {}

    def attach(self,
               backbone: nn.Module,
               tasks: Sequence[str],
               arch: Optional[ArchDescription] = None) -> None:
        super().attach(backbone, tasks, arch)
        # the backbone's own output norms (Identity where the wrapper uses
        # per-task ones instead), applied to the streams' outputs too; kept
        # in a plain list, not registered as the tuner's submodules
        self._backbone_norms = [
            None if norm.attr is None else backbone.get_submodule(norm.attr)
            for norm in self.arch.out_norms
        ]
        for name, p in backbone.named_parameters():
            if any(pattern in name for pattern in self.unfreeze):
                p.requires_grad = True
                self.unfrozen.append(name)

    # -------------------------------------------------------------- hooks
    def is_last(self, info: BlockInfo) -> bool:
        """Whether ``info`` is the last block of its stage."""
        return info.index == len(self.arch.stages[info.stage]) - 1

    @property
    def stream(self) -> Optional[str]:
        """The task whose stream is running (None in the shared pass)."""
        return self._stream

    def install_hooks(self, backbone: nn.Module,
                      arch: ArchDescription) -> List:
        handles = []
        for info in arch.blocks:
            handles += self.block_hooks(info)
            if self.is_last(info):
                for name, linear in info.linears.items():
                    handles += override_linear(
                        linear,
                        partial(self._last_block_linear, info, name, linear))
                if self._shares_attention(info):
                    handles.append(
                        ForwardOverride(
                            info.sublayers['attn'].module,
                            partial(self._last_block_attention, info)))
                handles.append(
                    info.block.register_forward_hook(
                        partial(self._run_streams, info.stage)))
        return handles

    def streams_share_attention(self) -> bool:
        """Whether a task stream's attention is the shared pass's: in a
        stream, every Linear of a last block's attention except its output
        projection ``proj`` gives the shared pass's output
        (:meth:`stream_linear`), and nothing else in it is per task.
        Streams then do not recompute the attention: the attention
        sub-layer's output in a stream is the shared pass's attention
        output (the input of ``proj``) through the stream's ``proj`` and
        what follows it (the family's :attr:`~mmpoly.models.archs.
        ArchDescription.attention_from_projection`; with attention
        dropout, the streams share the shared pass's dropped attention
        weights). Default: False."""
        return False

    def _shares_attention(self, info: BlockInfo) -> bool:
        return (self.streams_share_attention()
                and self.arch.attention_from_projection is not None
                and 'attn' in info.sublayers and 'proj' in info.linears)

    def _last_block_attention(self, info: BlockInfo, *args, **kwargs):
        """A last block's attention sub-layer: its own forward in the
        shared pass; in a stream, the shared attention output projected by
        the stream's ``proj``."""
        module = info.sublayers['attn'].module
        if self._stream is None:
            return type(module).forward(module, *args, **kwargs)
        return self.arch.attention_from_projection(
            module, self._shared[info.stage, 'proj'].input, *args, **kwargs)

    def block_hooks(self, info: BlockInfo) -> List:
        """Hooks of ``info``'s block, except on the Linear layers of a
        stage's last block (:meth:`shared_linear` and :meth:`stream_linear`
        compute those). Default: none."""
        return []

    def _last_block_linear(self, info: BlockInfo, name: str, linear: nn.Linear,
                           x: torch.Tensor) -> torch.Tensor:
        if self._stream is None:
            frozen, out = self.shared_linear(info, name, linear, x)
            self._shared[info.stage, name] = SharedLinear(x, frozen, out)
            return out
        return self.stream_linear(self._stream, info, name, linear, x,
                                  self._shared[info.stage, name])

    def shared_linear(
            self, info: BlockInfo, name: str, linear: nn.Linear,
            x: torch.Tensor) -> Tuple[Optional[torch.Tensor], torch.Tensor]:
        """A Linear of a stage's last block in the shared pass.

        Returns:
            ``(W x + b or None, the output)``.
        """
        frozen = frozen_linear(linear, x)
        return frozen, frozen

    def stream_linear(self, task: str, info: BlockInfo, name: str,
                      linear: nn.Linear, x: torch.Tensor,
                      shared: SharedLinear) -> torch.Tensor:
        """The Linear ``name`` of the stage's last block in ``task``'s
        stream, ``x`` the stream's input to it (default: the shared
        pass's output)."""
        return shared.output

    def finish_stream(self, task: str, stage: int,
                      y: torch.Tensor) -> torch.Tensor:
        """The output of ``task``'s stream of ``stage`` (the block's output
        ``y``), before any patch merging. Default: ``y``."""
        return y

    def _run_streams(self, stage: int, block: nn.Module, args, output) -> None:
        """After the shared last block of a stage, run it once per task.

        The streams call ``block.forward``, not ``block(...)``: the block's
        own hooks (this one) do not run again, so there is no re-entry,
        while its Linear layers' overrides do, and give each Linear its
        stream output (:attr:`stream` names the task).
        """
        self._block_args[stage] = args
        merge = self._merges().get(stage)
        for task in self.tasks:
            self._stream = task
            try:
                y = block.forward(*args)
            finally:
                self._stream = None
            y = self.finish_stream(task, stage, y)
            # merged here, inside the backbone's call, so that it uses the
            # tensors the pass uses (per-pass parameter overrides included)
            self._outputs[stage, task] = y if merge is None else merge(y, args)

    def _merges(self) -> Dict[int, Callable]:
        """Stage -> the patch merging its output is taken after."""
        return {
            norm.stage: norm.merge
            for norm in self.arch.out_norms if norm.merge is not None
        }

    # ------------------------------------------------------------ outputs
    def finish_pass(self, task: Optional[str]) -> None:
        self._outputs.clear()
        self._block_args.clear()
        self._shared.clear()

    def task_features(self, task: str, feats, out_indices) -> tuple:
        """Each output replaced by the task's stream output of its stage
        (passed through the stage's patch merging when the output is taken
        after it, then through the backbone's own output norm where the
        wrapper keeps it), laid out like the shared output."""
        outs = []
        for norm, module, x in zip(self.arch.out_norms, self._backbone_norms,
                                   feats):
            y = tokens_as_feature_map(self._outputs[norm.stage, task], x)
            if module is not None and not isinstance(module, nn.Identity):
                y = module(y.permute(0, 2, 3, 1)).permute(
                    0, 3, 1, 2).contiguous() if norm.channels_last \
                    else module(y)
            outs.append(y)
        return tuple(outs)
