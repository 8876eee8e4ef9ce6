"""Class lists and label mappings of the PASCAL-Context multi-task benchmark.

The lists ship with mmpoly as small text/JSON files in ``datasets/meta`` (each
file states its provenance in its header).
"""
import json
import os.path as osp
from functools import lru_cache
from typing import Dict, FrozenSet, Tuple

from .meta import META_DIR
from .meta import read_lines as _read_lines


@lru_cache()
def voc_classes() -> Tuple[str, ...]:
    """The 21 semantic classes (background + 20 VOC), in label order."""
    return tuple(_read_lines('voc_classes.txt'))


@lru_cache()
def _human_parts() -> dict:
    with open(osp.join(META_DIR, 'human_parts.json')) as f:
        return json.load(f)


def human_part_classes() -> Tuple[str, ...]:
    """The 7 human-part classes, in label order."""
    return tuple(_human_parts()['classes'])


def human_part_mapping() -> Dict[str, int]:
    """PASCAL-Part person part name -> human-part class index."""
    return dict(_human_parts()['part_to_class'])


def person_class_index() -> int:
    """PASCAL VOC class index of 'person' in PASCAL-Part annotations."""
    return int(_human_parts()['person_class_index'])


@lru_cache()
def context_classes() -> Dict[int, str]:
    """The 459 PASCAL-Context classes: LabelMap id -> name."""
    out = {}
    for line in _read_lines('pascal_context_459_classes.txt'):
        idx, name = line.split(' ', 1)
        out[int(idx)] = name
    return out


@lru_cache()
def normals_valid_classes() -> FrozenSet[int]:
    """LabelMap ids on which distilled surface normals are kept."""
    return frozenset(
        int(line.split(' ', 1)[0])
        for line in _read_lines('normals_valid_classes.txt'))
