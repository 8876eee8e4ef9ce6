"""What a tuning method needs to know of a backbone, family-independent.

An :class:`ArchDescription` is read from a built backbone by its family's
describer (see :mod:`.registry`); the sites and the methods are written
against it, never against a family's module names. It says:

- the stages, their widths and depths, and every block with its
  sub-layers (:class:`SubLayer`: where a residual branch reads its input and
  where its output is added, pre- or post-norm) and its named Linear layers;
- how the output features are normalised (:class:`OutputNorm`);
- which layer types make stochastic depth / dropout;
- which optional capabilities the family has (prompt tokens in attention),
  and why a missing one is missing.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn


class UnsupportedBackboneError(ValueError):
    """A method (or mmpoly) cannot run on this backbone; the message is one
    line naming the method, the backbone and what is missing."""


@dataclass
class SubLayer:
    """One residual branch of a block: ``x + f(x)``.

    Pre-norm (Swin, ViT): ``x + DP(module(norm(x)))``; post-norm (Swin-V2):
    ``x + DP(norm(module(x)))``; ``norm=None`` when the whole residual sum
    happens inside ``module`` (a ConvNeXt block: ``x + DP(γ·mlp(x))``).

    Attributes:
        name: Position name (``'attn'``, ``'ffn'``).
        module: The sub-layer (attention, MLP, or the whole block).
        norm: Its norm, or None.
        pre_norm: Whether ``norm`` is applied before ``module``.
        branch_output: Module whose output is the branch value before layer
            scale and drop-path (where a serial adapter goes).
        channels_last: Whether the residual stream is ``(..., C)`` tokens;
            False for ``(N, C, H, W)`` maps.
        output_has_residual: Whether the output of
            :attr:`residual_output` already is the sum ``x + f(x)`` (an
            MMCV ``FFN`` called with ``identity``, a whole ConvNeXt block);
            False when it is the branch ``f(x)`` only and the block adds
            ``x`` after it (Swin's ``ShiftWindowMSA``, a post-norm norm).
    """
    name: str
    module: nn.Module = field(repr=False)
    norm: Optional[nn.Module] = field(repr=False)
    pre_norm: bool
    branch_output: nn.Module = field(repr=False)
    channels_last: bool = True
    output_has_residual: bool = False

    @property
    def residual_input(self) -> nn.Module:
        """The module whose first argument is the residual input ``x``."""
        return self.norm if self.norm is not None and self.pre_norm \
            else self.module

    @property
    def residual_output(self) -> nn.Module:
        """The module whose output is added to (or already holds) the
        residual; a parallel term is added to it, never inside a norm."""
        return self.norm if self.norm is not None and not self.pre_norm \
            else self.module


@dataclass
class BlockInfo:
    """One block and its place in the network.

    Attributes:
        stage: Stage index.
        index: Index within the stage.
        block: The block module (its ``forward`` can be re-run).
        dims: Channel width.
        sublayers: Position name -> :class:`SubLayer`, in forward order.
        linears: Role name (``qkv``, ``proj``, ``fc1``, ``fc2``) -> the
            block's ``nn.Linear`` of that role, for those the block calls
            as modules.
        attention: The module whose ``forward`` prompt tokens override
            (None without attention).
        num_heads: Attention heads (None without attention).
    """
    stage: int
    index: int
    block: nn.Module = field(repr=False)
    dims: int
    sublayers: Dict[str, SubLayer] = field(repr=False)
    linears: Dict[str, nn.Linear] = field(repr=False)
    attention: Optional[nn.Module] = field(default=None, repr=False)
    num_heads: Optional[int] = None


@dataclass
class OutputNorm:
    """How one output feature is normalised by the backbone.

    Attributes:
        stage: The stage whose last block gives the output.
        attr: Name of the backbone's submodule (dotted path) that
            normalises this output and nothing else, so that per-task copies
            can replace it; None when the output is not normalised (a ViT's
            intermediate layers) or when its norm also feeds the next stage
            (then it stays, and per-task norms are added after it).
        width: Channels of the output.
        channels_last: Whether the norm normalises ``(..., C)`` (applied to
            a permuted ``(N, H, W, C)`` map); False for a norm applied to
            ``(N, C, H, W)`` (ConvNeXt's ``LN2d``).
        merge: When the output is taken after the stage's patch merging
            (mmpretrain's ``out_after_downsample``), the merging as
            ``merge(y, args) -> tokens``: ``y`` the stage's last block
            output, ``args`` that block's forward arguments. Task streams
            pass their block output through it to give the output; None
            when the output is the last block's output itself.
    """
    stage: int
    attr: Optional[str]
    width: int
    channels_last: bool = True
    merge: Optional[Callable[[torch.Tensor, tuple], torch.Tensor]] = field(
        default=None, repr=False)


#: ``prompt_attention(module, prompts, *args, **kwargs)``: the attention
#: ``module`` computed on its usual arguments with the ``(P, C)`` prompt
#: tokens added to every key/value set.
PromptAttention = Callable[..., torch.Tensor]


@dataclass
class TaskPromptAttention:
    """Window attention that carries one prompt token per task (TADFormer).

    Attributes:
        attend: ``attend(msa, prompts, x, mask) -> (o, logits)``: the
            window attention ``msa`` over ``[prompts; window tokens]`` in
            every window; ``prompts`` ``(B, P, C)`` per image (normed like
            the tokens), ``x`` ``(B * nW, N, C)``, ``mask`` the shift mask
            or None. Bias and mask apply to the token-token block only.
            ``o = attn @ v`` of all rows, prompts first, before the output
            projection, ``(B * nW, P + N, C)``; ``logits`` the raw
            ``q_prompt k_token^T`` (unscaled) ``(B * nW, heads, P, N)``.
        project: ``project(msa, o)``: the output projection (and its
            dropout) of ``msa`` on ``o``.
        windows_to_tokens: ``windows_to_tokens(module, windows, hw_shape)``:
            per-window rows ``(B * nW, N, C)`` of the block's shifted-window
            attention ``module`` (its ``'attn'`` sub-layer) back in the
            block's ``(B, H * W, C)`` token layout.
        mlp_branch: ``mlp_branch(block, x, fc1, fc2)``: the block's MLP
            branch on ``x`` (``(..., C)``, normed), its two Linear layers
            computed by the callables ``fc1`` and ``fc2``, up to and
            including its drop path (without the residual).
    """
    attend: Callable[..., Tuple[torch.Tensor, torch.Tensor]]
    project: Callable[[nn.Module, torch.Tensor], torch.Tensor]
    windows_to_tokens: Callable[[nn.Module, torch.Tensor, Tuple[int, int]],
                                torch.Tensor]
    mlp_branch: Callable[..., torch.Tensor]


@dataclass
class ArchDescription:
    """A backbone as the sites and methods see it.

    Attributes:
        family: Name of the backbone class (used in messages).
        stages: Blocks, stage by stage.
        stage_modules: Per stage, the modules whose parameters belong to it
            (blocks and, where the family has them, its downsampling).
        out_norms: Per output (in ``out_indices`` order), its norm.
        stochastic_types: Layer types that make stochastic depth/dropout.
        prompt_attention: Attention with prompt tokens, or None.
        merge_linears: Per stage, the Linear of the patch merging that
            follows it (role ``'reduction'``), or None (no merging, or a
            family without one).
        token_grid: ``token_grid(args) -> (H, W)``: the spatial grid of a
            block's ``(N, H*W, C)`` tokens, read from the block's forward
            arguments; None when blocks take ``(N, C, H, W)`` maps or the
            family does not pass the grid.
        task_prompt_attention: Window attention carrying task prompt tokens
            (:class:`TaskPromptAttention`), or None.
        attention_from_projection: ``attention_from_projection(module,
            o, *args, **kwargs)``: the output of a block's attention
            sub-layer ``module`` (``sublayers['attn'].module``, called with
            its forward arguments) computed from ``o``, the input of the
            attention's output projection ``proj`` in that call: the
            projection and everything after it inside ``module`` (for Swin
            the windows merged back, the shift undone, the drop path), so
            that a pass sharing the attention weights of another (a task
            stream) need not recompute them; None when not described.
        missing: Capability or linear name -> why this family lacks it
            (quoted in refusals).
    """
    family: str
    stages: List[List[BlockInfo]]
    stage_modules: List[List[nn.Module]] = field(repr=False)
    out_norms: Tuple[OutputNorm, ...]
    stochastic_types: Tuple[type, ...] = (nn.Dropout, )
    prompt_attention: Optional[PromptAttention] = field(
        default=None, repr=False)
    merge_linears: List[Optional[nn.Linear]] = field(
        default_factory=list, repr=False)
    token_grid: Optional[Callable[[tuple], Tuple[int, int]]] = field(
        default=None, repr=False)
    task_prompt_attention: Optional[TaskPromptAttention] = field(
        default=None, repr=False)
    attention_from_projection: Optional[Callable[..., torch.Tensor]] = field(
        default=None, repr=False)
    missing: Dict[str, str] = field(default_factory=dict)

    # --------------------------------------------------------------- shape
    @property
    def widths(self) -> List[int]:
        """Channel width ``C_s`` of each stage."""
        return [blocks[0].dims for blocks in self.stages]

    @property
    def depths(self) -> List[int]:
        """Number of blocks ``D_s`` of each stage."""
        return [len(blocks) for blocks in self.stages]

    @property
    def blocks(self) -> List[BlockInfo]:
        """All blocks, in forward order."""
        return [b for blocks in self.stages for b in blocks]

    @property
    def out_widths(self) -> Tuple[int, ...]:
        """Channels of each output feature."""
        return tuple(n.width for n in self.out_norms)

    @property
    def positions(self) -> Tuple[str, ...]:
        """Sub-layer names every block has."""
        names = [tuple(b.sublayers) for b in self.blocks]
        return tuple(n for n in names[0] if all(n in o for o in names))

    @property
    def linear_names(self) -> Tuple[str, ...]:
        """Linear roles every block has."""
        names = [tuple(b.linears) for b in self.blocks]
        return tuple(n for n in names[0] if all(n in o for o in names))

    def stage_of_parameters(self) -> Dict[int, int]:
        """``id(parameter)`` -> index of the stage holding it."""
        return {
            id(p): s
            for s, modules in enumerate(self.stage_modules)
            for m in modules
            for p in m.parameters()
        }

    # -------------------------------------------------------- requirements
    def refuse(self, method: str, needs: str, why: str) -> None:
        """Raise the one-line refusal of ``method`` on this backbone."""
        raise UnsupportedBackboneError(
            f'{method} cannot run on {self.family}: it needs {needs}, but '
            f'{why}')

    def require_positions(self, method: str, positions: Sequence[str]) -> None:
        """Refuse unless every block has each sub-layer of ``positions``."""
        have = self.positions
        lacking = [p for p in positions if p not in have]
        if lacking:
            self.refuse(
                method, f'sub-layer(s) {lacking}',
                f'its blocks have {list(have)}' + self._why(lacking) +
                f' (set positions within {list(have)})')

    def require_linears(self, method: str, names: Sequence[str]) -> None:
        """Refuse unless every block calls a Linear of each role."""
        have = self.linear_names
        lacking = [n for n in names if n not in have]
        if lacking:
            self.refuse(method, f'Linear layer(s) {lacking}',
                        f'its blocks have {list(have)}' + self._why(lacking))

    def require_merge_linears(self, method: str) -> None:
        """Refuse unless every stage but the last ends in a patch merging
        with a Linear reduction."""
        merges = self.merge_linears[:len(self.stages) - 1]
        if len(merges) < len(self.stages) - 1 or any(m is None
                                                     for m in merges):
            self.refuse(
                method, 'a patch-merging Linear after every stage but the '
                'last',
                self.missing.get('merge_linears',
                                 'mmpoly does not describe its patch merging'))

    def require_prompt_attention(self, method: str) -> None:
        """Refuse unless prompt tokens can be added to the attention."""
        if self.prompt_attention is None:
            self.refuse(
                method, 'attention to which prompt tokens can be added',
                self.missing.get('prompt_attention',
                                 'mmpoly has no prompted attention for it'))

    def require_task_prompt_attention(self, method: str) -> None:
        """Refuse unless the attention can carry task prompt tokens."""
        if self.task_prompt_attention is None:
            self.refuse(
                method, 'window attention with task prompt tokens',
                self.missing.get(
                    'task_prompt_attention',
                    'mmpoly has no task-prompted window attention for it'))

    def _why(self, names: Sequence[str]) -> str:
        reasons = list(
            dict.fromkeys(self.missing[n] for n in names if n in self.missing))
        return ('; ' + '; '.join(reasons)) if reasons else ''
