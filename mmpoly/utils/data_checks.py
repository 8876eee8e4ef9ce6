"""Failing early when a config's data is not where it says."""
from typing import Iterator, List

from mmengine.config import Config, ConfigDict
from mmseg.registry import DATASETS


def _dataset_cfgs(cfg) -> Iterator[dict]:
    if isinstance(cfg, (dict, ConfigDict)):
        if 'type' in cfg and 'data_root' in cfg:
            yield cfg
        for key in ('dataset', 'datasets'):
            sub = cfg.get(key)
            if isinstance(sub, (list, tuple)):
                for s in sub:
                    yield from _dataset_cfgs(s)
            elif sub is not None:
                yield from _dataset_cfgs(sub)


def check_data_roots(cfg: Config, phases=('train', 'val', 'test')) -> None:
    """Check the data of every dataloader used in ``phases``.

    Calls the dataset class's ``check_data_root`` (when it has one) with
    the dataset config. Cheap: meant to run before anything expensive is
    built.

    Raises:
        FileNotFoundError: from the dataset class, naming the path and the
            expected layout.
    """
    for phase in phases:
        loader = cfg.get(f'{phase}_dataloader')
        if not loader:
            continue
        for ds_cfg in _dataset_cfgs(loader.get('dataset')):
            cls = ds_cfg['type']
            cls = DATASETS.get(cls) if isinstance(cls, str) else cls
            check = getattr(cls, 'check_data_root', None)
            if check is not None:
                args = {k: v for k, v in ds_cfg.items() if k != 'type'}
                check(**args)


def configured_data_roots(
    cfg: Config, phases=('train', 'val', 'test')) -> List[str]:
    """The ``data_root`` of every data set of the dataloaders of ``phases``
    (each once, in order)."""
    roots: List[str] = []
    for phase in phases:
        loader = cfg.get(f'{phase}_dataloader')
        if not loader:
            continue
        for ds_cfg in _dataset_cfgs(loader.get('dataset')):
            root = ds_cfg.get('data_root')
            if isinstance(root, str) and root and root not in roots:
                roots.append(root)
    return roots
