"""Every config parses, names real things, and its model builds."""
import functools
import glob
import os.path as osp
import re

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
    # ... and every component gets them; load_config also checks the
    # numeric settings (learning rates, iterations, intervals, batch
    # sizes) of every shipped config
    applied = load_config(cfg)
    for where in (applied.model, applied.train_dataloader.dataset,
                  applied.val_dataloader.dataset,
                  applied.test_dataloader.dataset, applied.val_evaluator,
                  applied.test_evaluator):
        assert where.tasks == cfg.tasks
    if 'toy' not in path:  # real configs name the official checkpoints
        text = str(cfg.model.backbone)
        assert 'download.openmmlab.com' in text


#: Larger sizes: their configs differ from the smallest size's only in the
#: backbone (Swin: test_larger_swin_sizes_change_only_the_backbone below;
#: Swin-V2, ConvNeXt, ViT: test_backbone_family_configs.py, which also
#: loads every backbone's checkpoint layout), so building the smallest
#: size's model covers the method; each larger backbone is built once, in
#: its decoder-only config.
LARGER_SIZES = ('swin-s', 'swin-b', 'swinv2-s', 'swinv2-b', 'convnext-s',
                'convnext-b', 'convnextv2-b', 'vit-b-')
#: Rank variants (``<method>-r16_...``) change only the method's rank; the
#: MTLoRA protocol's method configs only put a method on the protocol's
#: model: tests/test_param_counts.py builds those of Swin-T on
#: PASCAL-Context (and counts them exactly), so here only the protocol's
#: decoder-only models are built (every config is still parsed and checked
#: by test_config_is_complete).
RANK_VARIANT = re.compile(r'-r\d+_')
#: A method's NYUD-v2 config differs from its PASCAL-Context one only in the
#: tasks and the data (the same method and backbone, built above): of
#: NYUD's, the models whose heads or backbones differ are built.
NYUD_BUILT = ('decoder-only', 'mtft', 'stft', 'polyhistor')


def _built(path: str) -> bool:
    name = osp.basename(path)
    if 'mtlora-protocol' in path and 'toy' not in path:
        return name.startswith('decoder-only') and '_swin-t_' in name
    if RANK_VARIANT.search(name):
        return False
    if '/nyud/' in path and not name.startswith(NYUD_BUILT):
        return False
    return name.startswith('decoder-only') or not any(s in name
                                                      for s in LARGER_SIZES)


BUILT = [p for p in CONFIGS if _built(p)]
SWIN_LARGER = [p for p in CONFIGS if re.search(r'_swin-[sb]', osp.basename(p))]


def _swin_t_sibling(path: str) -> str:
    return re.sub(r'swin-(s|b-w12-in22k|b)', 'swin-t', path)


def _without_swin(value):
    """``value`` with every Swin backbone dict replaced by a marker."""
    if isinstance(value, dict):
        if 'SwinTransformer' in str(value.get('type', '')):
            return '<swin>'
        return {k: _without_swin(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_swin(v) for v in value]
    return value


@functools.lru_cache(maxsize=None)
def _parsed(path: str) -> dict:
    """``path`` parsed once (each Swin-T config is the sibling of several
    larger ones); callers do not modify it."""
    return Config.fromfile(path).to_dict()


@pytest.mark.parametrize('path', SWIN_LARGER, ids=rel)
def test_larger_swin_sizes_change_only_the_backbone(path):
    small = _parsed(_swin_t_sibling(path))
    large = _parsed(path)
    # the size entries of swin_sizes.py the larger config imports
    large = {k: v for k, v in large.items() if k in small}
    assert _without_swin(large) == _without_swin(small)


@pytest.mark.parametrize('path', BUILT, ids=rel)
def test_model_builds(path):
    model = build_model_offline(path)
    tasks = tuple(Config.fromfile(path).tasks)
    assert tuple(model.decode_heads) == tasks == model.tasks
