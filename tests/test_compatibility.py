"""Checkpoints and initialisation made by older code still hold.

The fixtures (``tests/fixtures/``, made by ``tests/fixtures/make_fixtures.py``
before the tuner refactor) record the tensor layout of an adapter-only toy Polyhistor checkpoint
(no weights are kept), one toy image, and the trainable parameters every
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


def test_adapter_only_checkpoints_keep_the_older_layout(tmp_path):
    """An adapter-only checkpoint holds the tensors (names, shapes, dtypes)
    the pre-refactor code saved, so older checkpoints load in place; and a
    checkpoint saved now gives, after loading, the saving model's
    predictions.

    No weights are kept in the repository: the older checkpoint is recorded
    by its tensor layout (``polyhistor_toy_checkpoint_keys.json``), its
    initial values by ``tuner_init.json`` (tested below).
    """
    import torch

    from mmpoly.apis import MultiTaskInferencer
    source = MultiTaskInferencer(fixture_config(), None, device='cpu')
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():  # trained-looking values, not the initial ones
        for param in source.model.parameters():
            if param.requires_grad:
                param.add_(0.05 * torch.randn(param.shape,
                                              generator=generator))
    state = source.model.state_dict()
    layout = {
        k: [list(v.shape), str(v.dtype).replace('torch.', '')]
        for k, v in state.items()
    }
    assert layout == json.load(
        open(osp.join(FIXTURES, 'polyhistor_toy_checkpoint_keys.json')))

    path = str(tmp_path / 'adapter_only.pth')
    torch.save(dict(meta={}, state_dict=state), path)
    image = np.load(osp.join(FIXTURES, 'polyhistor_toy_image.npz'))['image']
    expected = source(image)['predictions']
    loaded = MultiTaskInferencer(fixture_config(), path, device='cpu')
    preds = loaded(image)['predictions']
    assert sorted(preds) == sorted(expected)
    for task, pred in preds.items():
        np.testing.assert_array_equal(pred, expected[task], err_msg=task)


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
