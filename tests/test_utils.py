"""find_config, strip_pretrained, check_data_roots, --cfg-options parsing,
numeric settings and the lines of OS errors."""
import os
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


# ------------------------------------------------ --cfg-options parsing
@pytest.mark.parametrize('item,expected', [
    ('train_dataloader.dataset.data_root=/tmp/my data', '/tmp/my data'),
    ('work_dir=/runs/a,b', '/runs/a,b'),
    ('load_from=None', None),
    ('experiment_name="run one"', 'run one'),
    ("visualizer.name='a b'", 'a b'),
    ('model.backbone.tuner.rank=8', 8),
    ('optim_wrapper.optimizer.lr=1e-4', 1e-4),
    ('train_cfg.val_interval=2', 2),
    ('train_cfg.max_iters="2"', 2),
    ("optim_wrapper.optimizer.lr='1e-4'", 1e-4),
    ('train_dataloader.dataset.data_root="/data/2"', '/data/2'),
    ('model.test_cfg.mode=slide', 'slide'),
    ('randomness.deterministic=true', True),
    ('data_preprocessor.size=[64, 64]', [64, 64]),
    ('crop_size="(64, 64)"', (64, 64)),
    ('tasks=semseg,normals', ['semseg', 'normals']),
])
def test_cfg_options_keep_spaces_and_parse_like_mmengine(item, expected):
    import argparse

    from mmpoly.utils.dict_action import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options', item]).cfg_options
    value = options[item.split('=', 1)[0]]
    assert value == expected and type(value) is type(expected)


def test_cfg_options_item_without_value_is_named():
    import argparse

    from mmpoly.utils.dict_action import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    with pytest.raises(ValueError, match="'data' is not key=value"):
        parser.parse_args([
            '--cfg-options', 'train_dataloader.dataset.data_root=/my', 'data'
        ])


# ------------------------------------------------- numeric settings
@pytest.mark.parametrize('options,words', [
    ({
        'optim_wrapper.optimizer.lr': 'fast'
    }, [
        'optim_wrapper.optimizer.lr=fast', 'a non-negative number expected',
        '(the config has 0.002)'
    ]),
    ({
        'train_cfg.max_iters': 2.5
    }, ['train_cfg.max_iters=2.5', 'a positive whole number expected']),
    ({
        'train_cfg.val_interval': 0
    }, ['train_cfg.val_interval=0', 'a positive whole number expected']),
    ({
        'optim_wrapper.optimizer.weight_decay': [1, 2]
    }, ['optim_wrapper.optimizer.weight_decay=[1, 2]', 'number expected']),
    ({
        'train_dataloader.batch_size': 'two'
    }, ['train_dataloader.batch_size=two', 'a positive whole number']),
    ({
        'param_scheduler.0.end': 'x'
    }, ['param_scheduler.0.end=x', 'a whole number expected']),
    ({
        'optim_wrapper.optimizer.lr': -1
    }, ['optim_wrapper.optimizer.lr=-1', 'a non-negative number expected']),
])
def test_numeric_settings_refused_with_key_and_value(options, words):
    from mmpoly.utils import load_config
    with pytest.raises((TypeError, ValueError)) as e:
        load_config(
            osp.join(REPO, 'configs/toy/polyhistor_swin-mini_toy-pascal.py'),
            options)
    for word in words:
        assert word in str(e.value), str(e.value)


def test_numeric_settings_in_a_config_file_name_the_file(tmp_path):
    from mmpoly.utils import load_config
    base = osp.join(REPO, 'configs/toy/polyhistor_swin-mini_toy-pascal.py')
    path = tmp_path / 'bad.py'
    path.write_text(f"_base_ = ['{base}']\n"
                    "train_cfg = dict(max_iters='10k')\n")
    with pytest.raises(TypeError) as e:
        load_config(str(path))
    assert str(e.value) == (f"{path}: train_cfg.max_iters = '10k': a "
                            'positive whole number expected')
    path.write_text(f"_base_ = ['{base}']\n"
                    'optim_wrapper = dict(optimizer=dict(lr=[1e-3]))\n')
    with pytest.raises(TypeError, match=r'lr = \[0.001\]: a non-negative'):
        load_config(str(path))


# every shipped config's numeric settings: tests/test_configs.py
# (test_config_is_complete loads each config through load_config)


# ------------------------------------------------------ OS errors
def test_os_error_lines_name_the_file_or_the_output_dir(tmp_path):
    import errno

    from mmpoly.engine.atomic_local_backend import FileWriteError
    from mmpoly.utils import cli
    full = os.strerror(errno.ENOSPC)
    e = FileWriteError(errno.ENOSPC, full, '/w/iter_2.pth')
    assert cli.error_message(e) == \
        f'cannot write /w/iter_2.pth: {full} [Errno 28]'
    e = PermissionError(errno.EACCES, 'Permission denied', '/w/x.json')
    assert cli.error_message(e) == '/w/x.json: Permission denied [Errno 13]'
    cli.note_output_dir(str(tmp_path))
    e = OSError(errno.ENOSPC, full)  # as from a write to an open file
    assert cli.error_message(e) == \
        f'{full} [Errno 28] while writing under {tmp_path}'
