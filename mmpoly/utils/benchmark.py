"""Measuring a config's training step, inference and peak memory.

Used by ``tools/analysis/benchmark.py``, which runs every measurement in a
fresh process (so peak memory belongs to one model) and prints ratios.
"""
import time
from statistics import median
from typing import Dict, List, Optional

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS

from ..structures import MultiTaskDataSample
from .config_loading import load_config
from .model_building import count_parameters
from .offline import strip_pretrained

#: Variants of a PEFTBackbone config: the method itself, and the tuner
#: replaced by PerTaskPass (one frozen pass per task, with / without the
#: backward pass through the backbone).
VARIANTS = {
    'method': None,
    'floor': dict(type='PerTaskPass', backward_through_backbone=True),
    'floor-fwd': dict(type='PerTaskPass', backward_through_backbone=False),
}


def build_variant(config: str, variant: str = 'method') -> torch.nn.Module:
    """Build ``config``'s model (no pretrained weights) as ``variant``."""
    cfg = load_config(config)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = strip_pretrained(cfg.model.to_dict())
    if VARIANTS[variant] is not None:
        backbone = model_cfg['backbone']
        if backbone.get('type') != 'PEFTBackbone':
            raise ValueError(f'{config}: variant {variant!r} needs a '
                             'PEFTBackbone model')
        backbone['tuner'] = dict(VARIANTS[variant])
    return MODELS.build(model_cfg)


def fake_data(tasks, batch: int, size: int, seed: int = 0) -> dict:
    """A data batch as a dataloader would give it (uint8 images + gt).

    Args:
        tasks: The model's :class:`~mmpoly.tasks.TaskSet`; each task makes
            random ground truth of its own kind.
    """
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(
            torch.randint(
                0, 256, (3, size, size), generator=g, dtype=torch.uint8))
        s = MultiTaskDataSample(
            metainfo=dict(img_shape=(size, size), ori_shape=(size, size)))
        for task in tasks.values():
            s.set_field(
                PixelData(data=task.fake_gt(size, size, g)), task.gt_key)
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def _proc_kb(field: str) -> Optional[int]:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    else:
        try:
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')  # resets VmHWM (peak resident set size)
        except OSError:
            pass


def _peak_mb(device: str) -> Optional[float]:
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated() / 2**20
    kb = _proc_kb('VmHWM')
    return None if kb is None else kb / 1024


def measure(config: str,
            variant: str = 'method',
            size: int = 448,
            batch: int = 2,
            device: str = 'cpu',
            warmup: int = 1,
            iters: int = 3) -> Dict[str, object]:
    """Measure one model; see ``tools/analysis/benchmark.py``.

    Returns:
        ``trainable``; ``train_step_s`` (median forward + backward +
        optimiser step, all tasks); ``infer_ms_per_img`` (median
        ``test_step`` per image, all tasks, after a first call);
        ``peak_train_mb`` (CUDA: max allocated; CPU: peak resident set of
        the process during the timed steps) and ``generate_calls_warm``
        (hypernetwork generations during warm inference; 0 means cached).
    """
    torch.manual_seed(0)
    model = build_variant(config, variant).to(device)
    trainable, _ = count_parameters(model)
    tasks = model.task_set
    optim = OptimWrapper(
        torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                          lr=1e-4))
    data = fake_data(tasks, batch, size)

    model.train()
    for _ in range(warmup):
        model.train_step(data, optim)
    _sync(device)
    _reset_peak(device)
    times: List[float] = []
    for _ in range(iters):
        t0 = time.perf_counter()
        model.train_step(data, optim)
        _sync(device)
        times.append(time.perf_counter() - t0)
    peak = _peak_mb(device)

    model.eval()
    calls = []
    tuner = getattr(model.backbone, 'tuner', None)
    if tuner is not None and hasattr(tuner, 'generate'):
        original = tuner.generate

        def counting(task):
            calls.append(task)
            return original(task)

        tuner.generate = counting
    with torch.no_grad():
        model.test_step(data)  # first call (fills eval caches)
        calls.clear()
        infer = []
        for _ in range(iters):
            t0 = time.perf_counter()
            model.test_step(data)
            _sync(device)
            infer.append(time.perf_counter() - t0)
    return dict(
        config=config,
        variant=variant,
        trainable=trainable,
        train_step_s=median(times),
        infer_ms_per_img=1000 * median(infer) / batch,
        peak_train_mb=peak,
        generate_calls_warm=len(calls))
