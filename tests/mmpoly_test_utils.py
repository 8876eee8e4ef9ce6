"""Small builders shared by the tests (tiny models and fake batches)."""
import copy
import os.path as osp
from typing import Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.structures import PixelData

from mmpoly.structures import MultiTaskDataSample
from mmpoly.tasks import build_tasks

#: The four PASCAL-Context tasks, as the dataset config declares them.
TASK_CFGS = Config.fromfile(
    osp.join(
        osp.dirname(osp.dirname(osp.abspath(__file__))),
        'configs/_base_/datasets/pascal_context_mt.py')).tasks.to_dict()
TASKS = tuple(TASK_CFGS)


def task_cfgs(tasks: Sequence[str] = TASKS) -> dict:
    """The config ``tasks`` dict of some of the PASCAL tasks."""
    return {t: copy.deepcopy(TASK_CFGS[t]) for t in tasks}


MINI_ARCH = dict(embed_dims=32, depths=[2, 2, 2, 2], num_heads=[1, 2, 4, 8])


def mini_swin(drop_path_rate: float = 0.0, arch=None) -> dict:
    """Config of a small randomly initialised mmpretrain Swin."""
    return dict(
        type='mmpretrain.SwinTransformer',
        arch=copy.deepcopy(arch or MINI_ARCH),
        out_indices=(0, 1, 2, 3),
        drop_path_rate=drop_path_rate,
        pad_small_map=True)


def small_tuner(kind: str = 'Polyhistor', **kw) -> dict:
    cfg = dict(type=kind, embed_dims=16, hidden_dims=16, code_dims=8, rank=4)
    cfg.update(kw)
    return cfg


def segmentor_cfg(backbone: dict,
                  tasks: Sequence[str] = TASKS,
                  channels: int = 16,
                  **kw) -> dict:
    cfg = dict(
        type='MultiTaskSegmentor',
        backbone=backbone,
        tasks=task_cfgs(tasks),
        decode_head=dict(type='AllMLPHead', channels=channels),
        data_preprocessor=dict(
            type='MultiTaskDataPreprocessor', size=(64, 64)))
    cfg.update(kw)
    return cfg


def fake_batch(tasks: Sequence[str] = TASKS,
               n: int = 2,
               size: int = 64,
               seed: int = 0) -> Tuple[torch.Tensor, list]:
    """Normalised images and samples with ground truth for ``tasks``."""
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, size, size, generator=g)
    task_set = build_tasks(task_cfgs(tasks))
    samples = []
    for _ in range(n):
        s = MultiTaskDataSample(
            metainfo=dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                pad_shape=(size, size),
                padding_size=(0, 0, 0, 0)))
        for task in task_set.values():
            s.set_field(
                PixelData(data=task.fake_gt(size, size, g)), task.gt_key)
        samples.append(s)
    return inputs, samples


def pascal_tasks(tasks: Sequence[str] = TASKS):
    """The :class:`~mmpoly.tasks.TaskSet` of some of the PASCAL tasks."""
    return build_tasks(task_cfgs(tasks))


def build_peft_backbone(tuner=None, swin=None, tasks=TASKS, **kw):
    """A seeded :class:`PEFTBackbone` over the small Swin."""
    from mmseg.registry import MODELS
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='PEFTBackbone',
            backbone=swin or mini_swin(),
            tasks=tasks,
            tuner=tuner,
            **kw))


REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

#: Config overrides of a two-iteration toy run with a checkpoint at the end.
TWO_ITERATIONS = {
    'train_dataloader.batch_size': 2,
    'train_cfg.max_iters': 2,
    'train_cfg.val_interval': 2,
    'default_hooks.checkpoint.interval': 2,
}


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now
    (tests running side by side must not share a fixed rendezvous port)."""
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def toy_data(tmp_path_factory, name: str, **kwargs) -> str:
    """A generated toy PASCAL-Context MT data set in a fresh folder
    (``generate_toy_pascal_mt`` arguments; 8 train, 4 val 64 px images by
    default)."""
    from mmpoly.testing.toy_pascal import generate_toy_pascal_mt
    root = str(tmp_path_factory.mktemp(name))
    args = dict(num_train=8, num_val=4, size=64, seed=0, overwrite=True)
    args.update(kwargs)
    generate_toy_pascal_mt(root, **args)
    return root


def toy_options(root: str, batch_size: int = 2, **extra) -> list:
    """``--cfg-options`` of a short toy run on the data at ``root``: no
    worker processes, ``batch_size`` everywhere, a log line per iteration;
    ``extra`` adds or overrides keys."""
    opts = {}
    for phase in ('train', 'val', 'test'):
        opts.update({
            f'{phase}_dataloader.dataset.data_root': root,
            f'{phase}_dataloader.batch_size': batch_size,
            f'{phase}_dataloader.num_workers': 0,
            f'{phase}_dataloader.persistent_workers': False,
        })
    opts['default_hooks.logger.interval'] = 1
    opts.update(extra)
    return ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]


def run_tool(args, env=None, check=True):
    """Run a command in the repository with mmpoly importable and, unless
    ``env`` or the environment says otherwise, this process's number of
    threads; on failure (``check``) raise with the end of its output."""
    import os
    import subprocess
    env = dict(os.environ, **(env or {}))
    # as many threads as this process: a tool's float32 reductions then run
    # in the order of an in-process computation they are compared with, and
    # tests running side by side (pytest -n) do not oversubscribe the cores
    env.setdefault('OMP_NUM_THREADS', str(torch.get_num_threads()))
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    proc = subprocess.run(
        args, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
    return proc


def trainable_record(model: torch.nn.Module) -> dict:
    """The trainable parameters of ``model`` in the form of
    ``tests/fixtures/tuner_init.json``: ``name -> [shape, sum, abs sum]``,
    and per head ``decode_heads.<task>.* -> [numel, sum, abs sum]``."""
    record = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        t = p.detach().double()
        if name.startswith('decode_heads.'):  # one entry per head
            key = '.'.join(name.split('.')[:2]) + '.*'
            entry = record.setdefault(key, [0, 0.0, 0.0])
            entry[0] += p.numel()
            entry[1] += float(t.sum())
            entry[2] += float(t.abs().sum())
        else:
            record[name] = [
                list(p.shape),
                float(t.sum()),
                float(t.abs().sum())
            ]
    return record


#: Tiny random instances of every described backbone family, with the
#: PEFTBackbone options each needs (a plain ViT feeds a feature pyramid).
MINI_FAMILIES = {
    'swin':
    dict(backbone=mini_swin()),
    'swin-v2':
    dict(
        backbone=dict(
            type='mmpretrain.SwinTransformerV2',
            arch=dict(
                embed_dims=32,
                depths=[2, 2, 2, 2],
                num_heads=[1, 2, 4, 8],
                extra_norm_every_n_blocks=0),
            img_size=64,
            window_size=[4, 4, 4, 2],
            out_indices=(0, 1, 2, 3),
            pad_small_map=True)),
    'convnext':
    dict(
        backbone=dict(
            type='mmpretrain.ConvNeXt',
            arch=dict(depths=[2, 2, 2, 2], channels=[32, 64, 128, 256]),
            out_indices=(0, 1, 2, 3),
            gap_before_final_norm=False)),
    'vit':
    dict(
        backbone=dict(
            type='mmpretrain.VisionTransformer',
            arch=dict(
                embed_dims=32,
                num_layers=4,
                num_heads=2,
                feedforward_channels=64),
            img_size=64,
            patch_size=8,
            out_indices=(0, 1, 2, 3),
            out_type='featmap'),
        pyramid_cfg=dict(type='SimpleFeaturePyramid')),
}
MINI_FAMILIES['convnext-v2'] = dict(
    backbone=dict(
        MINI_FAMILIES['convnext']['backbone'],
        use_grn=True,
        layer_scale_init_value=0.))
