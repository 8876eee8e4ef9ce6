"""MTLoRA's decoder: the per-task Downsampler and the HRNet-style head."""
import pytest
import torch
import torch.nn.functional as F
from mmpoly_test_utils import pascal_tasks
from mmseg.registry import MODELS

from mmpoly.models.decode_heads import Downsampler, HighResolutionHead

#: Swin-T's features after patch merging (MTLoRA's decoder inputs)
MERGED = (192, 384, 768, 768)


def head(task, **kw):
    return MODELS.build(dict(type='HighResolutionHead', task=task, **kw))


def test_decoders_of_the_protocol_count_exactly():
    """4 PASCAL tasks: 4 x 183,168 (Downsampler) + the heads' 294,840 +
    1,081 x channels = 1,946,624."""
    tasks = pascal_tasks(('semseg', 'human_parts', 'sal', 'normals'))
    heads = [head(t, in_channels=MERGED) for t in tasks.values()]
    per_head = [sum(p.numel() for p in h.parameters()) for h in heads]
    assert per_head == [183_168 + 294_840 + 1_081 * c for c in (21, 7, 1, 3)]
    assert sum(per_head) == 1_946_624
    assert sum(p.numel() for p in Downsampler(MERGED).parameters()) == 183_168


def test_forward_is_the_hrnet_computation():
    task = pascal_tasks(('sal', ))['sal']
    torch.manual_seed(0)
    h = head(
        task,
        in_channels=(8, 16),
        in_index=(0, 1),
        channels=12,
        downsampler_cfg=dict(type='Downsampler', out_channels=(2, 3)))
    h.eval()
    feats = (torch.randn(2, 8, 8, 8), torch.randn(2, 16, 4, 4))
    with torch.no_grad():
        out = h(feats)
        a = F.conv2d(feats[0], h.downsampler.convs[0].weight)
        b = F.interpolate(
            F.conv2d(feats[1], h.downsampler.convs[1].weight),
            size=(8, 8),
            mode='bilinear',
            align_corners=False)
        fused = h.fusion_conv.conv(torch.cat([a, b], 1))
        fused = torch.relu(h.fusion_conv.bn(fused))
        want = h.conv_seg(fused)
    assert out.shape == (2, 1, 8, 8)
    torch.testing.assert_close(out, want)


def test_without_downsampler_and_bad_widths():
    task = pascal_tasks(('sal', ))['sal']
    h = head(
        task,
        in_channels=(8, 16),
        in_index=(0, 1),
        channels=12,
        downsampler_cfg=None)
    assert h.fusion_conv.conv.in_channels == 24
    with pytest.raises(ValueError, match='2 out_channels .* 3 inputs'):
        Downsampler((8, 16, 32), out_channels=(2, 3))


def test_gradients_reach_every_parameter():
    task = pascal_tasks(('semseg', ))['semseg']
    h = head(
        task,
        in_channels=(8, 16),
        in_index=(0, 1),
        channels=12,
        downsampler_cfg=dict(type='Downsampler', out_channels=(2, 3)))
    feats = (torch.randn(2, 8, 8, 8), torch.randn(2, 16, 4, 4))
    h(feats).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in h.parameters())
    assert isinstance(h, HighResolutionHead)
