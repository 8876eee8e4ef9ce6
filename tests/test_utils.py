"""find_config, strip_pretrained and check_data_roots."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmpoly.utils import check_data_roots, find_config, strip_pretrained

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
MTFT = 'configs/baselines/mtft_swin-t_pascal-context.py'


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)


def _same(found, rel=MTFT):
    return osp.isfile(found) and osp.samefile(found, osp.join(REPO, rel))


def test_find_config_full_path(in_repo):
    assert find_config(MTFT) == MTFT


@pytest.mark.parametrize('name', [
    'mtft_swin-t_pascal-context',
    'mtft_swin-t_pascal-context.py',
    'baselines/mtft_swin-t_pascal-context.py',
])
def test_find_config_short_names_from_repo_root(in_repo, name):
    assert _same(find_config(name))


@pytest.mark.parametrize(
    'name',
    ['mtft_swin-t_pascal-context', 'stft-sal_swin-b_pascal-context.py'])
def test_find_config_short_names_elsewhere(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    found = find_config(name)
    assert osp.isfile(found)
    assert osp.basename(found) == osp.basename(name).replace('.py', '') + \
        '.py'


def test_find_config_unknown(in_repo):
    with pytest.raises(FileNotFoundError) as e:
        find_config('mtft_swin-x_nowhere')
    msg = str(e.value)
    assert "'mtft_swin-x_nowhere'" in msg
    assert 'mtft_swin-t_pascal-context.py' in msg  # similar names
    with pytest.raises(FileNotFoundError):
        find_config('zzz_no_such_config.py')


def test_strip_pretrained():
    cfg = dict(
        type='MultiTaskSegmentor',
        pretrained='weights.pth',
        backbone=dict(
            type='Swin', init_cfg=dict(type='Pretrained', checkpoint='x.pth')),
        neck=dict(init_cfg=[
            dict(type='Pretrained', checkpoint='y.pth'),
            dict(type='Kaiming', layer='Conv2d')
        ]),
        heads=[
            dict(init_cfg=[dict(type='Pretrained', checkpoint='z.pth')]),
            dict(init_cfg=dict(type='Normal', std=0.01))
        ])
    out = strip_pretrained(cfg)
    assert out is cfg
    assert cfg['pretrained'] is None
    assert cfg['backbone']['init_cfg'] is None
    assert cfg['backbone']['type'] == 'Swin'
    assert cfg['neck']['init_cfg'] == [dict(type='Kaiming', layer='Conv2d')]
    assert cfg['heads'][0]['init_cfg'] is None
    assert cfg['heads'][1]['init_cfg'] == dict(type='Normal', std=0.01)


def test_strip_pretrained_real_config():
    cfg = Config.fromfile(osp.join(REPO, MTFT))
    assert cfg.model.backbone.init_cfg.type == 'Pretrained'
    model = strip_pretrained(cfg.model.to_dict())
    assert model['backbone']['init_cfg'] is None
    assert 'Pretrained' not in repr(model)


def _loader(**ds):
    return dict(dataset=dict(type='PascalContextMTDataset', **ds))


def test_check_data_roots_ok(toy_root):
    cfg = Config(
        dict(
            train_dataloader=_loader(
                data_root=toy_root,
                split='train',
                tasks=dict(sal=dict(type='BinaryTask')),
                pipeline=[]),
            val_dataloader=_loader(data_root=toy_root, split='val'),
            test_dataloader=None))
    check_data_roots(cfg)
    # a task the data set cannot load fails here too, before any build
    cfg.train_dataloader.dataset.tasks = dict(depth=dict(type='DepthTask'))
    with pytest.raises(ValueError, match="cannot load task 'depth'"):
        check_data_roots(cfg)


def test_check_data_roots_missing(tmp_path, toy_root):
    missing = str(tmp_path / 'PASCAL_MT')
    cfg = Config(
        dict(
            train_dataloader=_loader(data_root=toy_root, split='train'),
            val_dataloader=_loader(data_root=missing, split='val')))
    with pytest.raises(FileNotFoundError) as e:
        check_data_roots(cfg)
    assert missing in str(e.value)
    check_data_roots(cfg, phases=('train', ))  # only the val root is bad


def test_check_data_roots_missing_split(toy_root):
    cfg = Config(
        dict(val_dataloader=_loader(data_root=toy_root, split='test')))
    with pytest.raises(FileNotFoundError) as e:
        check_data_roots(cfg)
    assert osp.join(toy_root, 'ImageSets', 'Context',
                    'test.txt') in str(e.value)


def test_check_data_roots_wrapped_datasets(tmp_path, toy_root):
    missing = str(tmp_path / 'other')
    cfg = Config(
        dict(
            train_dataloader=dict(
                dataset=dict(
                    type='ConcatDataset',
                    datasets=[
                        dict(
                            type='PascalContextMTDataset', data_root=toy_root),
                        dict(
                            type='RepeatDataset',
                            times=2,
                            dataset=dict(
                                type='PascalContextMTDataset',
                                data_root=missing)),
                    ]))))
    with pytest.raises(FileNotFoundError) as e:
        check_data_roots(cfg)
    assert missing in str(e.value)


def test_check_data_roots_real_config(tmp_path):
    cfg = Config.fromfile(osp.join(REPO, MTFT))
    missing = str(tmp_path / 'not_here')
    for phase in ('train', 'val', 'test'):
        cfg[f'{phase}_dataloader']['dataset']['data_root'] = missing
    with pytest.raises(FileNotFoundError) as e:
        check_data_roots(cfg)
    assert missing in str(e.value)


def test_find_config_ambiguous_and_base_excluded(tmp_path, monkeypatch):
    for sub in ('a', 'b'):
        (tmp_path / 'configs' / sub).mkdir(parents=True)
        (tmp_path / 'configs' / sub / 'twin.py').write_text('x = 1\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match='ambiguous') as e:
        find_config('twin')
    assert 'configs/a/twin.py' in str(e.value)
    assert 'configs/b/twin.py' in str(e.value)
    # configs under _base_ are not experiment configs
    with pytest.raises(FileNotFoundError):
        find_config('pascal_context_mt')
