"""Every config parses, names real things, and its model builds."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS, METRICS, MODELS, TRANSFORMS

from mmpoly.tasks import build_tasks
from mmpoly.utils import build_model_offline, load_config

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
        # the tasks are declared once, at the top level
        assert 'tasks' not in ds
    assert 'tasks' not in cfg.model and 'decode_heads' not in cfg.model
    build_tasks(cfg.tasks)
    assert METRICS.get(cfg.val_evaluator.type) is not None
    # ... and every component gets them
    applied = load_config(path)
    for where in (applied.model, applied.train_dataloader.dataset,
                  applied.val_dataloader.dataset,
                  applied.test_dataloader.dataset, applied.val_evaluator,
                  applied.test_evaluator):
        assert where.tasks == cfg.tasks
    if 'toy' not in path:  # real configs name the official checkpoints
        text = str(cfg.model.backbone)
        assert 'download.openmmlab.com' in text


#: Larger sizes of the Swin-V2, ConvNeXt and ViT families: their configs
#: differ from the smallest size's only in the backbone (checked, with the
#: backbone's checkpoint layout, in test_backbone_family_configs.py), so
#: building the smallest size's model covers the method.
LARGER_SIZES = ('swinv2-s', 'swinv2-b', 'convnext-s', 'convnext-b',
                'convnextv2-b', 'vit-b-')
BUILT = [p for p in CONFIGS if not any(s in osp.basename(p)
                                       for s in LARGER_SIZES)]


@pytest.mark.parametrize('path', BUILT, ids=rel)
def test_model_builds(path):
    model = build_model_offline(path)
    tasks = tuple(Config.fromfile(path).tasks)
    assert tuple(model.decode_heads) == tasks == model.tasks
