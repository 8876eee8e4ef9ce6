"""The MTLoRA protocol's optimiser and schedule, as its configs build them."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from mmpoly.utils import build_model_offline

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO,
                  'configs/mtlora-protocol/mtlora_swin-t_pascal-context.py')


def test_weight_decay_spares_1d_tensors_and_biases_not_position_tables():
    cfg = Config.fromfile(CONFIG)
    model = build_model_offline(CONFIG)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    decay = {}
    names = {id(p): n for n, p in model.named_parameters()}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            decay[names[id(p)]] = group['weight_decay']
    assert decay  # only trainable tensors, each in one group
    for name, wd in decay.items():
        p = dict(model.named_parameters())[name]
        if p.dim() == 1 or name.endswith('.bias'):
            assert wd == 0.0, name
        else:
            assert wd == pytest.approx(0.05), name
    tables = [n for n in decay if 'relative_position_bias_table' in n]
    assert len(tables) == 12 and all(decay[n] == 0.05 for n in tables)
    assert wrapper.optimizer.defaults['lr'] == pytest.approx(5e-4 * 32 / 512)
    assert wrapper.clip_grad_kwargs['max_norm'] == 5.0


def test_schedule_is_300_epochs_of_156_iterations_with_20_of_warm_up():
    cfg = Config.fromfile(CONFIG)
    assert cfg.train_cfg.max_iters == 300 * (4998 // 32) == 46_800
    warm, cosine = cfg.param_scheduler
    assert warm.type == 'LinearLR' and warm.end == 20 * 156
    assert warm.start_factor == pytest.approx(1e-3)  # 3.125e-8 at batch 32
    assert cosine.begin == warm.end and cosine.end == 46_800
    assert cosine.eta_min == pytest.approx(3.125e-7)
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.model.backbone.backbone.drop_path_rate == 0.2
    nyud = Config.fromfile(CONFIG.replace('pascal-context', 'nyud'))
    assert nyud.train_cfg.max_iters == 300 * (795 // 32)
