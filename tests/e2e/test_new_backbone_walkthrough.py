"""README "Adding a new backbone", step by step, exactly as written there.

The files the README shows must be the files in
tests/new_backbone_example/; its commands run as they stand, with the
schedule cut to a few iterations (see :mod:`readme_walkthrough`).
"""
import json
import os.path as osp
import sys

import numpy as np
import pytest
from readme_walkthrough import (REPO, readme_section, run_commands,
                                shown_files)

pytestmark = pytest.mark.e2e
SECTION = 'Adding a new backbone'
EXAMPLE = osp.join(REPO, 'tests', 'new_backbone_example')


def test_readme_shows_the_example_files():
    shown = shown_files(readme_section(SECTION))
    assert [p for p, _ in shown] == [
        'tests/new_backbone_example/mit_description.py',
        'tests/new_backbone_example/polyhistor_mit-mini_toy-pascal.py'
    ]
    for path, code in shown:
        assert open(osp.join(REPO, path)).read() == code, path


def test_walkthrough(tmp_path):
    logs = run_commands(readme_section(SECTION), tmp_path)
    assert 'MixVisionTransformer' in logs['tools/train.py']
    out = tmp_path / 'results' / 'mit'
    metrics = json.loads((out / 'metrics.json').read_text())['metrics']
    for key in ('semseg/mIoU', 'human_parts/mIoU', 'sal/maxF', 'normals/mean'):
        assert key in metrics and np.isfinite(metrics[key]), key


def test_a_method_the_new_family_lacks_is_refused_in_one_line():
    from mmengine.config import Config
    from mmseg.registry import MODELS

    from mmpoly.models.archs import ARCHS, UnsupportedBackboneError
    sys.path.insert(0, EXAMPLE)
    try:
        import mit_description  # noqa: F401 (registers the family)
        cfg = Config.fromfile(
            osp.join(EXAMPLE, 'polyhistor_mit-mini_toy-pascal.py'))
        backbone = cfg.model.backbone
        backbone.tuner = dict(type='LoRATuner', rank=2)
        backbone.tasks = list(cfg.tasks)
        with pytest.raises(UnsupportedBackboneError) as e:
            MODELS.build(backbone)
        assert str(e.value).startswith(
            "LoRATuner cannot run on MixVisionTransformer: it needs Linear "
            "layer(s) ['qkv'], but its blocks have []; its attention is "
            'torch.nn.MultiheadAttention')
    finally:
        sys.path.remove(EXAMPLE)
        from mmseg.models.backbones import MixVisionTransformer
        ARCHS.remove(MixVisionTransformer)
        sys.modules.pop('mit_description', None)
