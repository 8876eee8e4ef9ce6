"""Checking every file of a config's data sets before a long run."""
import copy
from typing import Iterator, List, NamedTuple, Optional, Tuple

from mmengine.config import Config
from mmseg.registry import DATASETS

from ..utils.cli import error_message

#: The transforms of a pipeline that read files; the check keeps only them.
LOADING_TRANSFORMS = ('LoadImageFromFile', 'LoadMultiTaskAnnotations')


class SplitReport(NamedTuple):
    """What :func:`check_split` found.

    Attributes:
        where: The dataloader, e.g. ``'val_dataloader'``.
        num_images: Images the split lists (0 if it could not be read).
        num_checked: Images whose files were read and checked.
        errors: One line per bad image (or the error that stopped the
            split from being read at all).
    """
    where: str
    num_images: int
    num_checked: int
    errors: List[str]


def _dataset_cfgs(cfg) -> Iterator[dict]:
    """The leaf data set configs of a dataloader's ``dataset``."""
    if not isinstance(cfg, dict):
        return
    inner = [cfg.get(k) for k in ('dataset', 'datasets') if cfg.get(k)]
    if not inner:
        yield cfg
    for sub in inner:
        for s in (sub if isinstance(sub, (list, tuple)) else [sub]):
            yield from _dataset_cfgs(s)


def _loading_only(ds_cfg: dict) -> dict:
    ds_cfg = copy.deepcopy(ds_cfg)
    ds_cfg['pipeline'] = [
        t for t in ds_cfg.get('pipeline', [])
        if isinstance(t, dict) and t.get('type') in LOADING_TRANSFORMS
    ]
    return ds_cfg


def check_split(ds_cfg: dict,
                where: str,
                full: bool,
                max_errors: Optional[int] = None) -> SplitReport:
    """Read and check the files of one data set.

    Building the data set reads its split file and checks that every file
    it lists exists. Then the image and every task's ground truth are
    decoded and checked by the tasks (format, channels, size, value
    ranges): of every image with ``full``, of the first one otherwise.

    Args:
        ds_cfg: The data set config (with ``tasks`` filled in).
        where: Name of its dataloader, for the report.
        full: Check every image, not only the first.
        max_errors: Stop after this many bad images (None: never).
    """
    try:
        dataset = DATASETS.build(_loading_only(ds_cfg))
    except Exception as e:  # noqa: B902 - reported, not raised
        return SplitReport(where, 0, 0, [error_message(e)])
    total = len(dataset)
    errors: List[str] = []
    checked = 0
    for idx in range(total if full else min(total, 1)):
        try:
            dataset[idx]
        except Exception as e:  # noqa: B902 - every bad file is listed
            errors.append(error_message(e))
            if max_errors is not None and len(errors) >= max_errors:
                break
        checked += 1
    return SplitReport(where, total, checked, errors)


def check_config_data(cfg: Config,
                      phases: Tuple[str, ...] = ('train', 'val', 'test'),
                      full: bool = False,
                      max_errors: Optional[int] = None) -> List[SplitReport]:
    """:func:`check_split` on every data set of the dataloaders of
    ``phases`` (a test split that is the val split is checked once)."""
    reports, seen = [], []
    for phase in phases:
        loader = cfg.get(f'{phase}_dataloader')
        if not loader:
            continue
        for ds_cfg in _dataset_cfgs(loader.get('dataset')):
            if ds_cfg in seen:
                continue
            seen.append(ds_cfg)
            reports.append(
                check_split(ds_cfg, f'{phase}_dataloader', full, max_errors))
    return reports
