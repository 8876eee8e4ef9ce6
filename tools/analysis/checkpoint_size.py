"""Size of a config's checkpoint: adapter-only versus full.

Builds the model (no pretrained weights), takes one AdamW step on random
data so the optimiser has its state, and writes two MMEngine-style
checkpoints ({'meta', 'state_dict', 'optimizer'}): one with the PEFTBackbone
saving only trainable tensors, one with the full state dict. Prints both
sizes and the weights-only sizes.

Example:
    python tools/analysis/checkpoint_size.py configs/polyhistor_swin-t.py
"""
import argparse
import os
import os.path as osp
import tempfile

import torch
from mmengine.optim import OptimWrapper

import mmpoly  # noqa: F401
from mmpoly.utils.benchmark import build_variant, fake_data
from mmpoly.utils.cli import run_tool
from mmpoly.utils.tool_args import add_debug_arg


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config with a PEFTBackbone')
    add_debug_arg(parser)
    return parser.parse_args()


def file_mb(obj, path) -> float:
    torch.save(obj, path)
    return os.path.getsize(path) / 2**20


def main():
    args = parse_args()
    model = build_variant(args.config)
    backbone = model.backbone
    if not hasattr(backbone, 'save_trainable_only'):
        raise SystemExit(f'{args.config}: the backbone is not a PEFTBackbone')
    optim = OptimWrapper(
        torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                          lr=1e-4))
    model.train()
    model.train_step(fake_data(model.task_set, 1, 64), optim)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for trainable_only in (True, False):
            if trainable_only != backbone.save_trainable_only:
                backbone.set_save_trainable_only(trainable_only)
            state = model.state_dict()
            ckpt = dict(
                meta=dict(config=args.config),
                state_dict=state,
                optimizer=optim.state_dict())
            rows.append((trainable_only, file_mb(state, osp.join(tmp,
                                                                 'w.pth')),
                         file_mb(ckpt, osp.join(tmp, 'c.pth')),
                         sum(v.numel() for v in state.values())))
    for only, weights, ckpt, numel in rows:
        kind = 'adapter-only' if only else 'full'
        print(f'{kind:>12}: {numel:>12,} tensor elements, weights '
              f'{weights:8.1f} MiB, checkpoint with optimizer {ckpt:8.1f} MiB')
    print(f'ratio full / adapter-only: weights '
          f'{rows[1][1] / rows[0][1]:.1f}x, checkpoint '
          f'{rows[1][2] / rows[0][2]:.1f}x')


if __name__ == '__main__':
    run_tool(main)
