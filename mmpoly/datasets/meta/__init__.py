"""Class lists and label mappings shipped with mmpoly (data files).

Each file states its provenance in its header (lines starting with ``#``).
"""
import os.path as osp
from typing import Iterator

META_DIR = osp.dirname(osp.abspath(__file__))


def read_lines(name: str) -> Iterator[str]:
    """The non-empty, non-comment lines of the data file ``name``."""
    with open(osp.join(META_DIR, name)) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                yield line
