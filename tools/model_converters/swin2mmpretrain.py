"""Convert an official Microsoft Swin checkpoint to mmpretrain's layout.

The official release (``{'model': {'layers.0.blocks.0.attn.qkv.weight',
...}}``, e.g. ``swin_base_patch4_window12_384_22k.pth``) is written as an
mmpretrain ``ImageClassifier`` checkpoint: ``{'state_dict':
{'backbone.stages.0.blocks.0.attn.w_msa.qkv.weight', ..., 'head.fc.weight'},
'meta': {...}}``, with the patch-merging weights re-ordered for
mmpretrain's ``nn.Unfold`` and the computed buffers left out. mmpoly also
converts such files on the fly when a config's ``init_cfg`` names them;
this tool is for other OpenMMLab code, or to convert once.

Example:
    python tools/model_converters/swin2mmpretrain.py \
        swin_base_patch4_window12_384_22k.pth \
        pretrain/swin-base-w12_in22k-384px_mmpretrain.pth
"""
import argparse
import os.path as osp

import torch

from mmpoly.engine.checkpoint_loading import load_local_checkpoint
from mmpoly.models.archs.swin.official_layout import (
    convert_official_swin, is_official_swin)
from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_debug_arg


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official Swin checkpoint (.pth)')
    parser.add_argument('dst', help='where to write the mmpretrain file')
    parser.add_argument(
        '--overwrite', action='store_true', help='replace an existing dst')
    add_debug_arg(parser)
    return parser.parse_args()


def convert_file(src: str, dst: str, overwrite: bool = False) -> dict:
    """Convert ``src`` to ``dst``; returns the converted state dict.

    Raises:
        FileExistsError: ``dst`` exists (without ``overwrite``) or is
            ``src``.
        ValueError: ``src`` is not an official Swin checkpoint.
    """
    if osp.abspath(src) == osp.abspath(dst):
        raise FileExistsError(f'{dst} is the source file; write elsewhere')
    if osp.exists(dst) and not overwrite:
        raise FileExistsError(f'{dst} exists; use --overwrite to replace it')
    checkpoint = load_local_checkpoint(src, map_location='cpu')
    model = checkpoint.get('model', checkpoint) if isinstance(
        checkpoint, dict) else None
    if not isinstance(model, dict) or not is_official_swin(model):
        keys = list(model)[:3] if isinstance(model, dict) else []
        raise ValueError(
            f'{src} is not an official Swin checkpoint: expected '
            "{'model': {'patch_embed.proj.weight', 'layers.0....'}}, found "
            f'keys {keys}')
    state = convert_official_swin(model, src)
    folder = osp.dirname(osp.abspath(dst))
    if not osp.isdir(folder):
        raise FileNotFoundError(f'folder {folder} of {dst} does not exist')
    torch.save(
        dict(
            state_dict=state,
            meta=dict(
                converted_from=osp.basename(src),
                converter='mmpoly tools/model_converters/swin2mmpretrain.py')),
        dst)
    return state


def main():
    args = parse_args()
    state = convert_file(args.src, args.dst, args.overwrite)
    backbone = sum(k.startswith('backbone.') for k in state)
    print(f'wrote {backbone} backbone and {len(state) - backbone} head '
          f'tensors in mmpretrain\'s layout to {args.dst}')


if __name__ == '__main__':
    run_tool(main)
