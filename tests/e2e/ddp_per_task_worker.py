"""Run by test_ddp_per_task.py under torchrun (2 processes, gloo).

Each rank trains one step of a small Polyhistor segmentor wrapped in
MultiTaskDDP on its own batch. The parameters after the step must be the
same on every rank and equal to one SGD step with the gradient averaged over
both ranks' batches, computed without DDP.
"""
import os
import sys

import torch
import torch.distributed as dist
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

import mmpoly  # noqa: F401
from mmpoly.engine import MultiTaskDDP
from mmpoly.utils.benchmark import fake_data

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from mmpoly_test_utils import mini_swin, segmentor_cfg, small_tuner  # noqa

LR = 0.5


def build():
    torch.manual_seed(0)
    cfg = segmentor_cfg(
        dict(
            type='PEFTBackbone',
            backbone=mini_swin(),
            tuner=small_tuner('Polyhistor')))
    cfg['decode_head']['dropout_ratio'] = 0.0
    return MODELS.build(cfg)


def flat_trainable(model):
    return torch.cat(
        [p.detach().flatten() for p in model.parameters() if p.requires_grad])


def main():
    dist.init_process_group('gloo')
    rank, world = dist.get_rank(), dist.get_world_size()
    init_default_scope('mmseg')
    model = build()
    ddp = MultiTaskDDP(model)
    assert ddp.find_unused_parameters
    optim = OptimWrapper(
        torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                        lr=LR))
    ddp.train()
    log_vars = ddp.train_step(
        fake_data(model.task_set, 2, 64, seed=rank), optim)
    assert 'normals.loss_normals_l1' in log_vars
    mine = flat_trainable(model)
    gathered = [torch.zeros_like(mine) for _ in range(world)]
    dist.all_gather(gathered, mine)
    for other in gathered:
        assert torch.equal(other, mine), 'ranks diverged'

    if rank == 0:  # the same step without DDP, gradients averaged by hand
        ref = build()
        ref.train()
        params = [p for p in ref.parameters() if p.requires_grad]
        before = flat_trainable(ref)
        total = [torch.zeros_like(p) for p in params]
        for r in range(world):
            data = ref.data_preprocessor(
                fake_data(ref.task_set, 2, 64, seed=r), True)
            loss, _ = ref.parse_losses(
                ref.loss(data['inputs'], data['data_samples']))
            grads = torch.autograd.grad(loss, params, allow_unused=True)
            for t, g in zip(total, grads):
                if g is not None:
                    t += g / world
        expected = before - LR * torch.cat([t.flatten() for t in total])
        err = (expected - mine).abs().max().item()
        moved = (mine - before).abs().max().item()
        assert moved > 1e-4, 'the step did not move the parameters'
        assert err < 1e-5 * max(1.0, moved) + 1e-6, f'max error {err}'
        print(
            f'DDP_PER_TASK_OK max_err={err:.3e} moved={moved:.3e}', flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == '__main__':
    main()
