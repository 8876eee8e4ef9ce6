"""Every config parses, names real things, and its model builds."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS, METRICS, MODELS, TRANSFORMS

from mmpoly.utils import build_model_offline

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def rel(path):
    return osp.relpath(path, REPO)


@pytest.mark.parametrize('path', CONFIGS, ids=rel)
def test_config_is_complete(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmseg'
    assert 'mmpoly' in cfg.custom_imports['imports']
    assert MODELS.get(cfg.model.type) is not None
    for phase in ('train', 'val', 'test'):
        ds = cfg[f'{phase}_dataloader'].dataset
        assert DATASETS.get(ds.type) is not None
        for t in ds.pipeline:
            assert TRANSFORMS.get(t['type']) is not None, t['type']
        assert set(ds.tasks) == set(cfg.model.decode_heads)
    assert METRICS.get(cfg.val_evaluator.type) is not None
    if 'toy' not in path:  # real configs name the official checkpoints
        text = str(cfg.model.backbone)
        assert 'download.openmmlab.com' in text


@pytest.mark.parametrize('path', CONFIGS, ids=rel)
def test_model_builds(path):
    model = build_model_offline(path)
    assert tuple(model.decode_heads) == tuple(
        Config.fromfile(path).model.decode_heads)
