"""Data-loading throughput of a config's training pipeline.

Used by ``tools/analysis/benchmark_data.py``: how many images per second
one process (one dataloader worker) reads and transforms, which transform
costs what, and what a ``DataLoader`` with ``k`` workers delivers, so that
``num_workers`` can be sized against the training step's images per
second (``tools/analysis/benchmark.py``'s ``train img/s``).
"""
import copy
import time
from functools import partial
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.registry import FUNCTIONS
from mmseg.registry import DATASETS

from .config_loading import load_config


class PipelineTiming(NamedTuple):
    """Per-image cost of a pipeline in one process.

    Attributes:
        images: Images timed (after the warm-up ones).
        seconds: Their total time (``dataset[i]``: the data info, then
            every transform).
        transforms: Seconds per image of each transform, in pipeline
            order (``(name, seconds)``; a name repeated in the pipeline is
            numbered, e.g. ``'MultiTaskResize#2'``).
    """
    images: int
    seconds: float
    transforms: List[tuple]

    @property
    def images_per_s(self) -> float:
        """Images per second of one process (one dataloader worker)."""
        return self.images / self.seconds

    @property
    def other_s(self) -> float:
        """Seconds per image outside the transforms (indexing the data
        set, copying its data info)."""
        return max(
            0.0,
            self.seconds / self.images - sum(s for _, s in self.transforms))


class _TimedTransform:
    """A transform that adds its time to ``totals[name]``."""

    def __init__(self, transform, name: str, totals: Dict[str, float]):
        self.transform = transform
        self.name = name
        self.totals = totals

    def __call__(self, results):
        t0 = time.perf_counter()
        out = self.transform(results)
        self.totals[self.name] += time.perf_counter() - t0
        return out


def _leaf_datasets(cfg) -> List[dict]:
    """The innermost data set configs of a (possibly wrapped) data set."""
    inner = [cfg.get(k) for k in ('dataset', 'datasets') if cfg.get(k)]
    if not inner:
        return [cfg]
    leaves = []
    for sub in inner:
        for s in (sub if isinstance(sub, (list, tuple)) else [sub]):
            leaves += _leaf_datasets(s)
    return leaves


def train_loader_config(
        config: str,
        data_root: Optional[str] = None,
        cfg_options: Optional[dict] = None) -> Tuple[dict, dict]:
    """``config``'s ``train_dataloader`` (tasks given to its data sets),
    its data sets' ``data_root`` replaced by ``data_root`` if given, and
    the config's ``env_cfg.mp_cfg`` (``{}`` without one)."""
    cfg = load_config(config, cfg_options)
    loader = cfg.get('train_dataloader')
    if not loader or not loader.get('dataset'):
        raise ValueError(f'{config}: has no train_dataloader.dataset')
    loader = copy.deepcopy(loader)
    if data_root is not None:
        for leaf in _leaf_datasets(loader['dataset']):
            leaf['data_root'] = data_root
    return loader, dict(cfg.get('env_cfg', {}).get('mp_cfg', {}))


def act_as_worker(mp_cfg: dict) -> None:
    """Set this process's threads as in a dataloader worker of a run of
    the config: MMEngine's multi-processing settings (OpenCV threads), and
    one PyTorch thread (what ``DataLoader`` sets in its workers)."""
    from mmengine.utils.dl_utils import set_multi_processing
    set_multi_processing(**mp_cfg)
    torch.set_num_threads(1)


def build_dataset(dataset_cfg: dict):
    """Build a data set config (``mmseg`` scope, mmpoly registered)."""
    from mmengine.registry import init_default_scope

    import mmpoly  # noqa: F401
    init_default_scope('mmseg')
    dataset = DATASETS.build(copy.deepcopy(dataset_cfg))
    if len(dataset) == 0:
        raise ValueError(f'the {dataset_cfg.get("type")} data set at '
                         f'{dataset_cfg.get("data_root")} has no images')
    return dataset


def time_pipeline(dataset,
                  num_images: int,
                  warmup: int = 2,
                  seed: int = 0) -> PipelineTiming:
    """Time ``dataset[i]`` for ``num_images`` images in this process.

    Indices cycle through the data set (``i % len(dataset)``), after
    ``warmup`` untimed images. Each transform of the data set's pipeline
    is timed too.

    Args:
        dataset: An MMEngine data set (its ``pipeline`` a ``Compose``).
        num_images: Images to time.
        warmup: Untimed images first.
        seed: Seed of the random transforms.
    """
    transforms = getattr(dataset.pipeline, 'transforms', None)
    if transforms is None:
        raise TypeError(f'{type(dataset).__name__}.pipeline has no '
                        'transforms list to time')
    totals: Dict[str, float] = {}
    names: List[str] = []
    for i, t in enumerate(transforms):
        base = type(t).__name__
        seen = sum(n.split('#')[0] == base for n in names)
        name = f'{base}#{seen + 1}' if seen else base
        names.append(name)
        totals[name] = 0.0
        transforms[i] = _TimedTransform(t, name, totals)
    try:
        np.random.seed(seed)
        torch.manual_seed(seed)
        for i in range(warmup):
            dataset[i % len(dataset)]
        for name in totals:
            totals[name] = 0.0
        t0 = time.perf_counter()
        for i in range(warmup, warmup + num_images):
            dataset[i % len(dataset)]
        seconds = time.perf_counter() - t0
    finally:
        for i, t in enumerate(transforms):
            transforms[i] = t.transform
    return PipelineTiming(num_images, seconds,
                          [(n, totals[n] / num_images) for n in names])


def collate_function(loader_cfg: dict):
    """The dataloader config's ``collate_fn`` (MMEngine's
    ``pseudo_collate`` by default), as the runner builds it."""
    cfg = dict(loader_cfg.get('collate_fn') or dict(type='pseudo_collate'))
    fn_type = cfg.pop('type')
    fn = FUNCTIONS.get(fn_type) if isinstance(fn_type, str) else fn_type
    if fn is None:
        raise ValueError(f'train_dataloader.collate_fn: unknown type '
                         f'{fn_type!r}')
    return partial(fn, **cfg)


def loader_images_per_s(dataset,
                        collate_fn,
                        num_workers: int,
                        batch_size: int,
                        num_images: int,
                        seed: int = 0) -> float:
    """Images per second a ``DataLoader`` with ``num_workers`` workers
    delivers over ``num_images`` images (whole batches; indices cycle
    through the data set) in steady state: the workers are persistent, and
    the second of two passes is timed (the first starts them).
    """
    batches = max(1, -(-num_images // batch_size))
    indices = [i % len(dataset) for i in range(batches * batch_size)]
    loader = torch.utils.data.DataLoader(
        torch.utils.data.Subset(dataset, indices),
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=collate_fn,
        persistent_workers=num_workers > 0,
        generator=torch.Generator().manual_seed(seed))
    for _ in loader:  # starts the workers
        pass
    t0 = time.perf_counter()
    for _ in loader:
        pass
    return len(indices) / (time.perf_counter() - t0)


def workers_needed(target_img_s: float, per_worker_img_s: float) -> int:
    """Workers that keep up with ``target_img_s`` at ``per_worker_img_s``
    each (at least 1)."""
    return max(1, int(np.ceil(target_img_s / per_worker_img_s)))


def check_worker_counts(counts: Sequence[int]) -> None:
    """Refuse a negative worker count, in one line."""
    for k in counts:
        if k < 0:
            raise ValueError(f'--workers {" ".join(map(str, counts))}: each '
                             f'value must be a whole number >= 0 (got {k})')
