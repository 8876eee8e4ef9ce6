"""Checkpoints and initialisation made by older code still hold.

The fixtures (``tests/fixtures/``, made by ``tests/fixtures/make_fixtures.py``
before the tuner refactor) record an adapter-only toy Polyhistor checkpoint
with its predictions on one image, and the trainable parameters every
parameter-efficient toy config builds (names, shapes, initial values).
"""
import json
import os.path as osp
import sys

import numpy as np
import pytest
from mmpoly_test_utils import trainable_record

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(HERE)
FIXTURES = osp.join(HERE, 'fixtures')
sys.path.insert(0, FIXTURES)
from make_fixtures import build_seeded, fixture_config  # noqa: E402

INIT_RECORD = json.load(open(osp.join(FIXTURES, 'tuner_init.json')))


def test_adapter_only_checkpoint_of_older_code_predicts_the_same():
    from mmpoly.apis import MultiTaskInferencer
    saved = np.load(osp.join(FIXTURES, 'polyhistor_toy_predictions.npz'))
    inferencer = MultiTaskInferencer(
        fixture_config(),
        osp.join(FIXTURES, 'polyhistor_toy_adapter_only.pth'),
        device='cpu')
    preds = inferencer(saved['image'])['predictions']
    expected = {k[5:]: saved[k] for k in saved.files if k.startswith('pred_')}
    assert sorted(preds) == sorted(expected)
    for task, pred in preds.items():
        if np.issubdtype(pred.dtype, np.integer):
            np.testing.assert_array_equal(pred, expected[task], err_msg=task)
        else:  # float maps: equal up to the CPU's float rounding
            np.testing.assert_allclose(
                pred, expected[task], rtol=0, atol=1e-5, err_msg=task)


@pytest.mark.parametrize('config', sorted(INIT_RECORD))
def test_models_build_the_recorded_parameters(config):
    """Same trainable parameters, names, shapes and initial values."""
    built = trainable_record(build_seeded(osp.join(REPO, config)))
    record = INIT_RECORD[config]
    assert sorted(built) == sorted(record)
    for name, (shape, total, abs_total) in record.items():
        got = built[name]
        assert got[0] == shape, name
        # same random draws in the same order: equal up to float summation
        assert got[1] == pytest.approx(total, rel=1e-6, abs=1e-6), name
        assert got[2] == pytest.approx(abs_total, rel=1e-6, abs=1e-6), name
