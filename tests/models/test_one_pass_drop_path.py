"""The wrapped backbone's drop path in one pass: MMCV's numbers exactly."""
import pytest
import torch
from mmcv.cnn.bricks.drop import DropPath
from mmpoly_test_utils import build_peft_backbone, mini_swin

from mmpoly.models.backbones.one_pass_drop_path import one_pass_drop_path


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_same_values_and_gradients_as_mmcv(dtype):
    """Same random draw, the same numbers bit for bit (zeros with the sign
    of their input too), forward and backward."""
    module = DropPath(0.3).train()
    x = torch.randn(64, 5, 7, dtype=dtype) * 10
    x[0, 0, 0], x[1, 0, 0] = 0.0, -0.0
    grad = torch.randn_like(x)
    outs, grads = [], []
    for run in (module, lambda t: one_pass_drop_path(module, t)):
        leaf = x.clone().requires_grad_()
        torch.manual_seed(3)
        out = run(leaf)
        out.backward(grad)
        outs.append(out)
        grads.append(leaf.grad)
    assert 0 < int((outs[0] == 0).flatten(1).all(1).sum()) < 64
    for a, b in (outs, grads):
        assert torch.equal(a, b) and torch.equal(a.signbit(), b.signbit())


def test_identity_when_off_and_mmcv_in_reduced_precision():
    x = torch.randn(4, 3)
    assert one_pass_drop_path(DropPath(0.3).eval(), x) is x
    assert one_pass_drop_path(DropPath(0.0).train(), x) is x
    half = x.bfloat16()
    module = DropPath(0.3).train()
    torch.manual_seed(0)
    want = module(half)
    torch.manual_seed(0)
    assert torch.equal(one_pass_drop_path(module, half), want)


def test_peft_backbone_installs_it_without_changing_the_pass():
    backbone = build_peft_backbone(
        dict(type='MTLoRA', shared_rank=2, task_rank=2),
        swin=mini_swin(drop_path_rate=0.5),
        per_task_out_norms=False).train()
    layers = [m for m in backbone.modules() if isinstance(m, DropPath)]
    assert layers and all('forward' in m.__dict__ for m in layers)
    x = torch.randn(2, 3, 32, 32)
    feats = []
    for remove in (False, True):
        if remove:
            for override in backbone._drop_path_overrides:
                override.remove()
        torch.manual_seed(1)
        with torch.no_grad():
            out = backbone.forward_tasks(x, backbone.tasks)
        feats.append([f for t in backbone.tasks for f in out[t]])
    assert all(torch.equal(a, b) for a, b in zip(*feats))
