"""The trainable-parameter counts of METHODS.md, exactly, through the tool."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from mmpoly.utils import build_model_offline, count_parameters

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
B = 'configs/baselines/'
EXPECTED = {
    B + 'mtft_swin-t_pascal-context.py': 30_058_202,
    B + 'decoder-only_swin-t_pascal-context.py': 2_549_024,
    B + 'adapter_swin-t_pascal-context.py': 11_237_024,
    B + 'shared-adapter_swin-t_pascal-context.py': 4_721_024,
    'configs/polyhistor/polyhistor_swin-t_pascal-context.py': 8_960_352,
    # IA³: 4 tasks x 6 C_s D_s = 105,984 above decoders only
    B + 'ia3_swin-t_pascal-context.py': 2_655_008,
}
#: The MTLoRA protocol (Swin-T, PASCAL-Context, 4 tasks): totals with its
#: Downsampler + HRNet-style heads (1,946,624) and each method's own
#: trainable backbone tensors (docs/methods_2025.md).
P = 'configs/mtlora-protocol/'
MTLORA_PROTOCOL = {
    'decoder-only': 1_946_624,
    'mtlora-r16': 4_953_146,
    'mtlora-r32': 6_083_642,
    'mtlora': 8_344_634,
    'mtlora-plus-r16': 3_469_370,
    'mtlora-plus-r32': 4_664_378,
    'mtlora-plus': 7_054_394,
    'tadformer-r16': 3_557_502,
    'tadformer-r32': 4_776_126,
    'tadformer': 7_379_262,
    'tadformer-naive-r16': 3_532_350,
    'tadformer-naive-r32': 4_670_526,
    'tadformer-naive': 6_946_878,
    'ditask': 3_549_338,
    'dora-mtlora-r16': 5_027_450,
    'dora-mtlora-r32': 6_157_946,
    'dora-mtlora': 8_418_938,
    'dora': 2_282_240,
    'mona-shared': 3_354_752,
    'mona': 7_579_136,
}
EXPECTED.update({
    f'{P}{m}_swin-t_pascal-context.py': n
    for m, n in MTLORA_PROTOCOL.items()
})
STFT = [
    B + f'stft-{t}_swin-t_pascal-context.py'
    for t in ('semseg', 'parts', 'sal', 'normals')
]


@pytest.mark.parametrize('config', sorted(EXPECTED))
def test_exact_counts(config):
    trainable, total = count_parameters(
        build_model_offline(osp.join(REPO, config)))
    assert trainable == EXPECTED[config]
    assert total >= trainable


def test_ditask_backbone_side_is_what_its_paper_counts():
    """DiTASK's printed 1.61 M is its backbone side: the thetas (3,168)
    and the backbone tensors it trains (1,599,546), not the decoders."""
    model = build_model_offline(
        osp.join(REPO, f'{P}ditask_swin-t_pascal-context.py'))
    backbone = sum(
        p.numel() for p in model.backbone.parameters() if p.requires_grad)
    assert backbone == 1_602_714
    thetas = sum(p.numel() for p in model.backbone.tuner.parameters())
    assert thetas == 3_168


def test_count_params_tool_json_and_single_task_sum():
    proc = subprocess.run(
        [sys.executable, 'tools/analysis/count_params.py', '--json'] + STFT +
        ['configs/polyhistor_swin-t.py', 'configs/polyhistor-lite_swin-t.py'],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(proc.stdout[proc.stdout.index('['):])
    assert [r['config'] for r in rows][:4] == STFT
    assert sum(r['trainable'] for r in rows[:4]) == 112_620_296
    poly, lite = rows[4]['trainable'], rows[5]['trainable']
    assert poly == 8_960_352
    assert lite == 3_028_496 and lite < poly / 2  # METHODS: ≈ 3.0 M
    for r in rows:
        assert set(r) == {'config', 'trainable', 'total'}


def test_stage_table_shows_quadratic_adapters_and_flat_lite():
    proc = subprocess.run([
        sys.executable, 'tools/analysis/stage_params.py',
        B + 'adapter_swin-t_pascal-context.py', 'configs/polyhistor_swin-t.py',
        'configs/polyhistor-lite_swin-t.py'
    ],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [
        line for line in proc.stdout.splitlines() if line.startswith('| ')
    ]
    stage = {
        int(line.split('|')[1]):
        [int(c.replace(',', '').strip()) for c in line.split('|')[4:7]]
        for line in lines if line.split('|')[1].strip().isdigit()
    }
    # adapter: 4 tasks x D_s x (C_s^2 + 3.5 C_s) (ρ = 2, LN_post)
    for s, (c, d) in enumerate(zip((96, 192, 384, 768), (2, 2, 6, 2)), 1):
        assert stage[s][0] == 4 * d * (c * c + 7 * c // 2)
    # Polyhistor: 4290 C_s + 57,664 + 128 (D_s + 2) per stage
    for s, (c, d) in enumerate(zip((96, 192, 384, 768), (2, 2, 6, 2)), 1):
        assert stage[s][1] == 4290 * c + 57_664 + 128 * (d + 2)
    # Lite: only layer embeddings and kernels per stage, no C_s^2 term
    assert stage[1][2] == 2 * 128
    assert stage[4][2] == 2 * 8 * 128 + 2 * 2 * (8**3 + 8**2)
    total = [line for line in lines if 'method total' in line][0]
    assert '479,472' in total and '6,411,328' in total
