"""Where tuning methods plug into an (unmodified) Swin Transformer.

Works with ``mmpretrain.SwinTransformer`` and MMSeg's ``SwinTransformer``:
both have ``stages[s].blocks[j]`` blocks with ``norm1``, ``attn``
(``ShiftWindowMSA`` holding ``w_msa``), ``norm2`` and an MMCV ``FFN``, whose
forward is ``y = x + attn(norm1(x)); z = ffn(norm2(y), identity=y)``.

Branches are added with forward hooks, so the backbone's modules and its
state-dict keys stay exactly those of the pretrained checkpoint.
"""
from dataclasses import dataclass, field
from typing import Callable, List

import torch
import torch.nn as nn

Branch = Callable[[torch.Tensor], torch.Tensor]

ATTN, FFN = 'attn', 'ffn'
POSITIONS = (ATTN, FFN)


@dataclass
class BlockInfo:
    """One Swin block and its place in the network."""
    stage: int
    index: int  # within the stage
    block: nn.Module = field(repr=False)
    dims: int
    num_heads: int
    window_size: int


@dataclass
class SwinArch:
    """The blocks of a Swin backbone, stage by stage."""
    stages: List[List[BlockInfo]]

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


def describe_swin(backbone: nn.Module) -> SwinArch:
    """Read stage widths, depths, heads and blocks from a Swin backbone.

    Raises:
        TypeError: if ``backbone`` is not a Swin Transformer of mmpretrain or
            MMSeg (names what is missing).
    """
    name = type(backbone).__name__
    stages = getattr(backbone, 'stages', None)
    if stages is None:
        raise TypeError(f'{name} has no "stages": mmpoly tuners need a Swin '
                        'Transformer (mmpretrain.SwinTransformer or '
                        'mmseg SwinTransformer)')
    arch = []
    for s, stage in enumerate(stages):
        infos = []
        for j, block in enumerate(stage.blocks):
            try:
                w_msa = block.attn.w_msa
                infos.append(
                    BlockInfo(
                        stage=s,
                        index=j,
                        block=block,
                        dims=block.norm1.normalized_shape[0],
                        num_heads=w_msa.num_heads,
                        window_size=w_msa.window_size[0]))
            except AttributeError as e:
                raise TypeError(
                    f'{name}.stages[{s}].blocks[{j}] is not a Swin block '
                    f'(norm1 / attn.w_msa / ffn expected): {e}') from None
        arch.append(infos)
    return SwinArch(arch)


def check_placement(positions, placement: str) -> tuple:
    """Validate adapter positions and placement; return the positions.

    Raises:
        ValueError: naming the bad value and the allowed ones.
    """
    positions = tuple(positions)
    if (not positions or any(p not in POSITIONS for p in positions)
            or len(set(positions)) != len(positions)):
        raise ValueError(f'positions must be a non-empty subset of '
                         f'{POSITIONS}, got {positions}')
    if placement not in ('parallel', 'serial'):
        raise ValueError(
            f"placement must be 'parallel' or 'serial', got {placement!r}")
    return positions


def add_parallel_branch(block: nn.Module, position: str,
                        branch: Branch) -> List:
    """Add ``branch(x)`` to a sub-layer, ``x`` being its residual input.

    ``attn``: ``y = x + DP(Attn(LN1(x))) + branch(x)``;
    ``ffn``: ``z = y + DP(MLP(LN2(y))) + branch(y)``.

    Returns:
        Hook handles.
    """
    if position == ATTN:
        stash = []

        def keep_input(module, args, output):
            stash.append(args[0])

        def add_to_attn(module, args, output):
            return output + branch(stash.pop())

        return [
            block.norm1.register_forward_hook(keep_input),
            block.attn.register_forward_hook(add_to_attn)
        ]
    if position == FFN:

        def add_to_ffn(module, args, kwargs, output):
            identity = kwargs.get('identity',
                                  args[1] if len(args) > 1 else None)
            if identity is None:  # FFN used without a residual argument
                identity = args[0]
            return output + branch(identity)

        return [block.ffn.register_forward_hook(add_to_ffn, with_kwargs=True)]
    raise ValueError(f'position must be one of {POSITIONS}, got {position!r}')


#: The Linear layers of a Swin block that low-rank methods adapt.
LINEARS = ('qkv', 'proj', 'fc1', 'fc2')


def block_linears(block: nn.Module) -> dict:
    """``{'qkv', 'proj', 'fc1', 'fc2'}`` -> the block's ``nn.Linear``.

    ``fc1`` / ``fc2`` are the first and last Linear of MMCV's ``FFN``.
    """
    linears = [
        m for m in block.ffn.layers.modules() if isinstance(m, nn.Linear)
    ]
    return dict(
        qkv=block.attn.w_msa.qkv,
        proj=block.attn.w_msa.proj,
        fc1=linears[0],
        fc2=linears[-1])


def add_linear_branch(linear: nn.Module, branch: Branch) -> List:
    """``linear(x) + branch(x)`` (e.g. a LoRA term).

    Returns:
        Hook handles.
    """

    def add(module, args, output):
        return output + branch(args[0])

    return [linear.register_forward_hook(add)]


def add_serial_branch(block: nn.Module, position: str, branch: Branch) -> List:
    """Wrap a sub-layer's branch output ``v`` (before drop-path) as
    ``v + branch(v)``.

    ``attn`` wraps the window attention output, ``ffn`` the MLP output.

    Returns:
        Hook handles.
    """
    if position == ATTN:
        target = block.attn.w_msa
    elif position == FFN:
        target = block.ffn.layers
    else:
        raise ValueError(
            f'position must be one of {POSITIONS}, got {position!r}')

    def wrap(module, args, output):
        return output + branch(output)

    return [target.register_forward_hook(wrap)]
