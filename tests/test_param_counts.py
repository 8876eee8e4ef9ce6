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
