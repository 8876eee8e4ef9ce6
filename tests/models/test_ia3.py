"""IA³: the learned scales act exactly as rescaled frozen weights."""
import pytest
import torch
from mmpoly_test_utils import build_peft_backbone, mini_swin
from mmseg.registry import MODELS

from mmpoly.models.archs import describe_backbone

TASKS = ('semseg', 'sal')


def build(**tuner_kw):
    return build_peft_backbone(
        dict(type='IA3', **tuner_kw), tasks=TASKS, per_task_out_norms=False)


def plain_copy(backbone):
    plain = MODELS.build(mini_swin())
    plain.load_state_dict(backbone.backbone.state_dict())
    plain.eval()
    return plain


def test_starts_as_the_frozen_backbone_and_counts():
    backbone = build().eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ref = plain_copy(backbone)(x)
        out = backbone.forward_tasks(x, TASKS)
    for task in TASKS:
        for a, b in zip(out[task], ref):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
    # 6 C per block (l_k, l_v: C; l_ff: 4 C) per task
    arch = backbone.tuner.arch
    expected = len(TASKS) * sum(6 * c * d
                                for c, d in zip(arch.widths, arch.depths))
    assert sum(p.numel() for p in backbone.tuner.parameters()) == expected
    assert backbone.tuner.parameters_by_stage() == {
        f'stage {s + 1}': len(TASKS) * 6 * c * d
        for s, (c, d) in enumerate(zip(arch.widths, arch.depths))
    }


@pytest.mark.parametrize('targets', [('key', 'value', 'ffn'), ('ffn', ),
                                     ('value', )])
def test_scales_equal_rescaled_weights(targets):
    """``l_k ⊙ k``, ``l_v ⊙ v`` and ``W_2 (l_ff ⊙ h)`` are the frozen block
    with rows of ``qkv`` and columns of ``fc2`` rescaled."""
    backbone = build(targets=targets).eval()
    torch.manual_seed(1)
    with torch.no_grad():
        for p in backbone.tuner.parameters():
            p.uniform_(0.5, 1.5)
    plain = plain_copy(backbone)
    scales = backbone.tuner.scales['sal']
    with torch.no_grad():
        for info, plain_info in zip(backbone.tuner.arch.blocks,
                                    describe_backbone(plain).blocks):
            s = scales[info.stage][info.index]
            lin = plain_info.linears
            c = info.dims
            for name, rows in (('key', slice(c, 2 * c)), ('value',
                                                          slice(2 * c,
                                                                3 * c))):
                if name in targets:
                    scale = getattr(s, name)
                    lin['qkv'].weight[rows] *= scale[:, None]
                    lin['qkv'].bias[rows] *= scale
            if 'ffn' in targets:
                lin['fc2'].weight *= s.ffn[None, :]
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        out = backbone.forward_tasks(x, ['sal'])['sal']
        ref = plain(x)
    for a, b in zip(out, ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_bad_targets_name_the_allowed_ones():
    with pytest.raises(ValueError, match='key'):
        build(targets=('query', ))
