"""The Swin-V2, ConvNeXt and ViT configs.

Every method that applies to a family has a config for each of its sizes
(and none that does not apply), a larger size differs from the smallest
only in its backbone, each config keeps its family's conventions, each
backbone takes every tensor of the checkpoint it names, and the toy models
of every family train.

No checkpoint is downloaded: the URL a backbone names is looked up in
mmpretrain's own model zoo (the metafiles and configs installed with
mmpretrain), whose config builds the classifier that file holds. Its state
dict has the file's names and shapes; the config's backbone must load it
completely through mmpoly's checked ``Pretrained`` initialiser, and compute
the same configuration-dependent buffers (relative-position indices and
Swin-V2's coordinate tables, which depend on the window sizes and the
pretraining window sizes). Small backbones load random values that are
compared after loading; the base sizes load shape-only files (one stored
element per tensor) to keep the test fast.
"""
import copy
import glob
import os
import os.path as osp
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

import mmpretrain
import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.model.weight_init import initialize
from mmengine.registry import DefaultScope
from mmpoly_test_utils import fake_batch
from mmseg.registry import MODELS

from mmpoly.models.backbones.pretrained_init import REPORT_ATTR
from mmpoly.utils import build_model_offline, find_config
from mmpoly.utils.model_building import quiet_init_log

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs')
MIM = osp.join(osp.dirname(mmpretrain.__file__), '.mim')

PYRAMID = dict(type='SimpleFeaturePyramid', scales=(4.0, 2.0, 1.0, 0.5))
#: Methods of the Swin-V2 configs (their tuners need neither Swin-v1's
#: window attention nor a called qkv Linear).
SWINV2_METHODS = ('decoder-only', 'mtft', 'adapter', 'shared-adapter',
                  'low-rank-adapter', 'phm-adapter', 'compacter',
                  'compacter++', 'hyperformer', 'hyperformer++', 'polyhistor',
                  'polyhistor-lite', 'bitfit')
#: Variants beside the sizes have the headline methods only.
VARIANT_METHODS = ('decoder-only', 'polyhistor', 'polyhistor-lite')
NYUD_METHODS = ('decoder-only', 'polyhistor')
TOY_METHODS = ('decoder-only', 'polyhistor', 'mtft')

#: Per family: the backbone type, its variable in the smallest size's
#: model config and its sizes file, the sizes (smallest first; variants with
#: the headline methods only), the methods, and the toy backbones.
FAMILIES = {
    'swinv2':
    dict(
        type='mmpretrain.SwinTransformerV2',
        var='swinv2',
        sizes_file='swinv2_sizes.py',
        sizes=('swinv2-t', 'swinv2-s', 'swinv2-b'),
        variants=('swinv2-b-in21k', ),
        methods=SWINV2_METHODS,
        minis=('swinv2-mini', )),
    'convnext':
    dict(
        type='mmpretrain.ConvNeXt',
        var='convnext',
        sizes_file='convnext_sizes.py',
        sizes=('convnext-t', 'convnext-s', 'convnext-b', 'convnextv2-t',
               'convnextv2-b'),
        variants=('convnext-b-in21k', ),
        methods=SWINV2_METHODS + ('lora', 'ia3'),
        minis=('convnext-mini', 'convnextv2-mini')),
    'vit':
    dict(
        type='mmpretrain.VisionTransformer',
        var='vit',
        sizes_file='vit_sizes.py',
        sizes=('vit-s-p14-dinov2', 'vit-b-p14-dinov2', 'vit-b-p16-in21k'),
        variants=(),
        methods=SWINV2_METHODS +
        ('ia3', 'lora', 'mtlora', 'vpt-deep', 'vpt-shallow'),
        minis=('vit-mini', )),
}


def _family_of(size: str) -> str:
    for family, spec in FAMILIES.items():
        if size in spec['sizes'] + spec['variants'] + spec['minis']:
            return family
    raise KeyError(size)


def _expected_configs() -> Dict[str, Tuple[str, str, str]]:
    """``{path: (family, method, size)}`` of every config of the three
    families."""
    out = {}
    for family, spec in FAMILIES.items():
        names = []  # (folder, file name, method, size)
        for size in spec['sizes'] + spec['variants']:
            methods = (
                VARIANT_METHODS
                if size in spec['variants'] else spec['methods'])
            names += [(family, f'{m}_{size}_pascal-context.py', m, size)
                      for m in methods]
            names += [('nyud', f'{m}_{size}_nyud.py', m, size)
                      for m in NYUD_METHODS]
        for size in spec['minis']:
            names += [('toy', f'{m}_{size}_toy-pascal.py', m, size)
                      for m in TOY_METHODS]
        for folder, name, method, size in names:
            out[osp.join(CONFIGS, folder, name)] = (family, method, size)
    return out


EXPECTED = _expected_configs()


def rel(path: str) -> str:
    return osp.relpath(path, REPO)


@lru_cache(maxsize=None)
def load(path: str) -> Config:
    """A config file, parsed once per session (read it, never change
    it)."""
    return Config.fromfile(path)


def inner_backbone(cfg: Config) -> dict:
    """The mmpretrain backbone config of a model (inside PEFTBackbone or
    the segmentor's backbone itself)."""
    backbone = cfg.model.backbone
    if backbone.type == 'PEFTBackbone':
        return backbone.backbone.to_dict()
    return backbone.to_dict()


def _merge(base: dict, override: dict) -> dict:
    """``override`` merged into ``base`` as a config's
    ``model.backbone.backbone={{_base_.x}}`` does (``_delete_`` included)."""
    merged = Config(dict(backbone=copy.deepcopy(base)))
    merged.merge_from_dict(dict(backbone=copy.deepcopy(override)))
    return merged.backbone.to_dict()


@lru_cache()
def family_backbones(family: str) -> Dict[str, dict]:
    """Every backbone a config of ``family`` may have: the smallest size's
    and each entry of the sizes file merged into it."""
    spec = FAMILIES[family]
    models = osp.join(CONFIGS, '_base_', 'models')
    base = Config.fromfile(
        osp.join(models, f'multitask_{spec["sizes"][0]}.py'))[spec['var']]
    out = {spec['var']: base.to_dict()}
    sizes = Config.fromfile(osp.join(models, spec['sizes_file']))
    for name, entry in sizes.to_dict().items():
        if isinstance(entry, dict) and 'init_cfg' in entry:
            out[name] = _merge(out[spec['var']], entry)
    return out


def pretrained_backbones() -> List[Tuple[str, dict]]:
    return [(name, backbone) for family in FAMILIES
            for name, backbone in family_backbones(family).items()
            if backbone.get('init_cfg')]


# ------------------------------------------------------------ file matrix
def _size_of(path: str) -> Optional[str]:
    """The size part of a config name (``polyhistor_convnext-t_nyud.py``:
    ``convnext-t``), or None for another family's config."""
    parts = osp.basename(path)[:-3].split('_')
    if len(parts) < 3:
        return None
    size = parts[-2]
    try:
        _family_of(size)
    except KeyError:
        return None
    return size


@pytest.mark.parametrize('family', FAMILIES)
def test_family_has_its_method_configs_and_no_other(family):
    found = {
        p
        for folder in (family, 'nyud', 'toy')
        for p in glob.glob(osp.join(CONFIGS, folder, '*.py'))
        if _size_of(p) is not None and _family_of(_size_of(p)) == family
    }
    want = {p for p, (f, _, _) in EXPECTED.items() if f == family}
    assert sorted(map(rel, found - want)) == []  # no method outside its set
    assert sorted(map(rel, want - found)) == []


# ---------------------------------------------------- each config's rules
def _smallest_sibling(path: str, family: str, size: str) -> str:
    spec = FAMILIES[family]
    smallest = spec['minis'][0] if size in spec['minis'] else spec['sizes'][0]
    name = osp.basename(path).replace(f'_{size}_', f'_{smallest}_')
    return osp.join(osp.dirname(path), name)


def _method_tuner(method: str) -> dict:
    return load(osp.join(CONFIGS, '_base_', 'methods', f'{method}.py')).tuner


@pytest.mark.parametrize('path', sorted(EXPECTED), ids=rel)
def test_family_config_conventions(path):
    family, method, size = EXPECTED[path]
    cfg = load(path)
    # the short form finds exactly this file
    assert osp.realpath(find_config(osp.basename(path)[:-3])) == path
    backbone = inner_backbone(cfg)
    assert backbone['type'] == FAMILIES[family]['type']
    # one of the family's backbones, as its sizes file gives it
    assert backbone in family_backbones(family).values(), backbone
    if 'toy' in path:
        assert backbone['init_cfg'] is None
    else:
        init = backbone['init_cfg']
        assert init['type'] == 'Pretrained'
        assert init['prefix'] == 'backbone.'
    peft = cfg.model.backbone if cfg.model.backbone.type == 'PEFTBackbone' \
        else None
    if family == 'vit':
        layers = _vit_layers(backbone)
        assert tuple(backbone['out_indices']) == tuple(
            layers // 4 * (i + 1) - 1 for i in range(4))
        assert backbone['out_type'] == 'featmap'
        assert backbone['final_norm'] is True
        assert peft is not None and peft.pyramid_cfg == PYRAMID
    else:
        assert tuple(backbone['out_indices']) == (0, 1, 2, 3)
        assert peft is None or peft.get('pyramid_cfg') is None
    if family == 'swinv2':
        assert backbone['pad_small_map'] is True
    if family == 'convnext':
        assert backbone['gap_before_final_norm'] is False

    if method == 'mtft':  # everything trains, no tuner
        assert peft is None or (peft.freeze_backbone is False
                                and peft.get('tuner') is None)
        return
    assert peft is not None and peft.get('freeze_backbone', True) is True
    assert peft.save_trainable_only is True
    tuner = peft.get('tuner')
    if method == 'decoder-only':
        assert tuner is None
        return
    assert tuner.type == _method_tuner(method).type
    if family == 'convnext':  # one residual branch, pointwise fc1 / fc2
        assert tuple(tuner.get('positions', ('ffn', ))) == ('ffn', )
        if method == 'lora':
            assert tuple(tuner.targets) == ('fc1', 'fc2')
        if method == 'ia3':
            assert tuple(tuner.targets) == ('ffn', )
    if method.startswith('vpt'):
        assert tuner.patch_size == backbone['patch_size']
    if method in ('polyhistor', 'polyhistor-lite', 'hyperformer',
                  'hyperformer++'):
        keys = cfg.optim_wrapper.paramwise_cfg.custom_keys
        assert keys['backbone.tuner'] == dict(lr_mult=0.1)


def _vit_layers(backbone: dict) -> int:
    arch = backbone['arch']
    if isinstance(arch, dict):
        return arch['num_layers']
    from mmpretrain.models import VisionTransformer
    return VisionTransformer.arch_zoo[arch]['num_layers']


def _without_backbone(cfg: Config, size_vars) -> dict:
    out = {k: v for k, v in cfg.to_dict().items() if k not in size_vars}
    model = out['model']
    if model['backbone']['type'] == 'PEFTBackbone':
        model['backbone'].pop('backbone')
    else:
        model.pop('backbone')
    return out


@pytest.mark.parametrize(
    'path',
    sorted(p for p, (f, _, s) in EXPECTED.items()
           if s not in (FAMILIES[f]['sizes'][0], FAMILIES[f]['minis'][0])),
    ids=rel)
def test_larger_size_changes_only_the_backbone(path):
    family, method, size = EXPECTED[path]
    cfg = load(path)
    small = load(_smallest_sibling(path, family, size))
    sizes = load(
        osp.join(CONFIGS, '_base_', 'models', FAMILIES[family]['sizes_file']))
    got = _without_backbone(cfg, sizes)
    want = _without_backbone(small, sizes)
    if size == 'vit-b-p16-in21k':
        # normalised as in its pretraining; prompts sized to its patches
        want['model']['data_preprocessor'].update(
            sizes.vit_b_p16_in21k_data_preprocessor)
        if method.startswith('vpt'):
            want['model']['backbone']['tuner']['patch_size'] = 16
    assert got == want


def test_mtlora_unfreezes_existing_vit_parameters():
    cfg = load(
        osp.join(CONFIGS, 'vit', 'mtlora_vit-s-p14-dinov2_pascal-context.py'))
    backbone = inner_backbone(cfg)
    backbone['init_cfg'] = None
    names = [n for n, _ in MODELS.build(backbone).named_parameters()]
    unfreeze = cfg.model.backbone.tuner['unfreeze']
    for pattern in unfreeze:
        assert any(pattern in n for n in names), pattern
    trained = [n for n in names if any(p in n for p in unfreeze)]
    # the norms (every layer's two and the final one) and the embeddings
    assert len([n for n in trained
                if '.ln' in n or n.startswith('ln')]) == 2 * (2 * 12 + 1)
    assert {'pos_embed', 'patch_embed.projection.weight'} <= set(trained)


# ----------------------------------------------------- pretrained layouts
@lru_cache()
def model_zoo() -> Dict[str, Tuple[str, str]]:
    """``{weights URL: (model name, config path)}`` of mmpretrain's
    installed model zoo."""
    loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
    out = {}
    for meta in glob.glob(osp.join(MIM, 'configs', '*', 'metafile.yml')):
        with open(meta) as f:
            models = yaml.load(f, Loader=loader).get('Models') or []
        for model in models:
            if model.get('Weights') and model.get('Config'):
                out[model['Weights']] = (model['Name'],
                                         osp.join(MIM, model['Config']))
    return out


#: Backbones below this many parameters (the smallest of each family and
#: variant: Swin-V2-T, ConvNeXt-T, ConvNeXt-V2-T, ViT-S) load random values,
#: compared after loading; larger ones load shape-only files.
REAL_VALUES_BELOW = 30_000_000


def classifier_state(url: str, real_values: bool) -> Dict[str, torch.Tensor]:
    """The state dict of the classifier mmpretrain's model zoo publishes at
    ``url``, built from its own config (random values, or one stored
    element per tensor)."""
    zoo = model_zoo()
    assert url in zoo, (f'{url} is not a checkpoint of mmpretrain '
                        f"{mmpretrain.__version__}'s model zoo")
    name, config = zoo[url]
    model_cfg = Config.fromfile(config).model
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        from mmpretrain.registry import MODELS as PRETRAIN_MODELS
        torch.manual_seed(0)
        classifier = PRETRAIN_MODELS.build(model_cfg)
    params = {n for n, _ in classifier.named_parameters()}
    generator = torch.Generator().manual_seed(1)
    state = {}
    for key, value in classifier.state_dict().items():
        if key not in params:  # buffers as the classifier computes them
            state[key] = value
        elif real_values:
            state[key] = torch.randn(value.shape, generator=generator)
        else:
            state[key] = torch.zeros((), dtype=value.dtype).expand(value.shape)
    return state


@pytest.mark.parametrize(
    'backbone', [b for _, b in pretrained_backbones()],
    ids=[n for n, _ in pretrained_backbones()])
def test_backbone_loads_every_tensor_of_its_checkpoint(tmp_path, backbone):
    url = backbone['init_cfg']['checkpoint']
    path = tmp_path / 'classifier.pth'
    init_cfg = dict(backbone['init_cfg'], checkpoint=str(path))
    model = MODELS.build(dict(backbone, init_cfg=init_cfg))
    own_buffers = {k: v.clone() for k, v in model.named_buffers()}
    real_values = sum(p.numel()
                      for p in model.parameters()) < REAL_VALUES_BELOW
    state = classifier_state(url, real_values)
    torch.save(dict(state_dict=state, meta=dict(source=url)), path)
    try:
        # the initialiser that the backbone's init_weights applies after its
        # children's own initialisation (which takes seconds at these sizes
        # and is exercised by test_peft_backbone_builds_from_its_checkpoint)
        with quiet_init_log():
            initialize(model, init_cfg)
    finally:
        os.remove(path)
    report = getattr(model, REPORT_ATTR)
    assert not report.missing and not report.mismatched, report.line()
    assert not report.unexpected, report.line()
    assert report.complete and report.total > 0
    # dense-prediction output norms before the last stage are new
    want_new = [] if 'VisionTransformer' in backbone['type'] else sorted(
        f'norm{i}.{p}' for i in range(3) for p in ('weight', 'bias'))
    assert sorted(report.new_outputs) == want_new
    # buffers computed from the configuration are the classifier's
    theirs = {
        k[len('backbone.'):]: v
        for k, v in state.items() if k.startswith('backbone.')
    }
    assert own_buffers.keys() <= theirs.keys()
    for name, value in own_buffers.items():
        assert torch.equal(value, theirs[name]), name
    if real_values:
        own = model.state_dict()
        for name in report.loaded:
            assert torch.equal(own[name], theirs[name]), name


def _smallest_decoder_only(family: str) -> str:
    return osp.join(
        CONFIGS, family,
        f'decoder-only_{FAMILIES[family]["sizes"][0]}_pascal-context.py')


@pytest.mark.parametrize('family', FAMILIES)
def test_peft_backbone_builds_from_its_checkpoint(tmp_path, family):
    """The decoder-only PEFTBackbone of the smallest size, built as a run
    builds it (the backbone's own init_weights), frozen, with four outputs
    per task at halving resolutions (the ViT's from its pyramid)."""
    cfg = load(_smallest_decoder_only(family))
    peft = cfg.model.backbone.to_dict()
    url = peft['backbone']['init_cfg']['checkpoint']
    path = tmp_path / 'classifier.pth'
    torch.save(dict(state_dict=classifier_state(url, True)), path)
    peft['backbone']['init_cfg']['checkpoint'] = str(path)
    peft['tasks'] = tuple(cfg.tasks)
    try:
        with quiet_init_log():
            model = MODELS.build(peft)
    finally:
        os.remove(path)
    report = getattr(model.backbone, REPORT_ATTR)
    assert report.complete and not report.unexpected, report.line()
    assert not any(p.requires_grad for p in model.backbone.parameters())
    with torch.no_grad():
        feats = model.forward_tasks(torch.randn(1, 3, 64, 64), ['semseg'])
    feats = feats['semseg']
    assert [f.shape[1] for f in feats] == list(model.feature_channels)
    sides = [f.shape[-1] for f in feats]
    assert len(sides) == 4 and all(
        abs(a - 2 * b) <= 1 for a, b in zip(sides, sides[1:])), sides


@pytest.mark.parametrize(
    'path', sorted(p for p in EXPECTED if 'toy' in p), ids=rel)
def test_toy_model_computes_losses_and_gradients(path):
    """Every family's toy models run: heads as wide as the backbone's
    outputs (MTFT without PEFTBackbone included), a loss per task, and
    gradients for the trained parameters only."""
    torch.manual_seed(0)
    model = build_model_offline(path)
    model.train()
    inputs, samples = fake_batch(tuple(load(path).tasks))
    loss, _ = model.parse_losses(model.loss(inputs, samples))
    assert torch.isfinite(loss)
    loss.backward()
    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert trained
    assert all(p.grad is not None
               for _, p in trained), [n for n, p in trained if p.grad is None]
    assert all(p.grad is None for p in model.parameters()
               if not p.requires_grad)
