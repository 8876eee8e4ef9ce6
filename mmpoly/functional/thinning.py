"""Morphological thinning of binary maps to one-pixel-wide lines.

The two-subiteration algorithm of Guo and Hall (1989) that MATLAB's
``bwmorph(bw, 'thin', Inf)`` and ``skimage.morphology.thin`` implement (the
tests check that the result equals scikit-image's), written with OpenCV's
3x3 correlation, which is much faster on the many thresholded maps of the
boundary benchmark.
"""
from functools import lru_cache
from typing import Tuple

import cv2
import numpy as np

#: Weights of the 8 neighbours x1..x8 (east, then counter-clockwise): the
#: neighbourhood code of a pixel is the sum of its set neighbours' weights.
NEIGHBOUR_WEIGHTS = np.array([[8, 4, 2], [16, 0, 1], [32, 64, 128]],
                             dtype=np.float32)


def _deletable(code: int, first: bool) -> bool:
    """Guo-Hall's conditions G1, G2 and G3 (first subiteration) or G3'."""
    bits = [(code >> k) & 1 for k in range(8)]

    def x(i: int) -> int:  # x1..x8, with x9 = x1
        return bits[(i - 1) % 8]

    crossings = sum(1 for i in range(1, 5)
                    if x(2 * i - 1) == 0 and (x(2 * i) or x(2 * i + 1)))
    n1 = sum(x(2 * k - 1) | x(2 * k) for k in range(1, 5))
    n2 = sum(x(2 * k) | x(2 * k + 1) for k in range(1, 5))
    if first:
        g3 = ((x(2) | x(3) | (1 - x(8))) & x(1)) == 0
    else:
        g3 = ((x(6) | x(7) | (1 - x(4))) & x(5)) == 0
    return crossings == 1 and 2 <= min(n1, n2) <= 3 and g3


@lru_cache()
def deletion_tables() -> Tuple[np.ndarray, np.ndarray]:
    """Per neighbourhood code: whether a foreground pixel is deleted in the
    first / second subiteration."""
    return tuple(
        np.array([_deletable(c, first) for c in range(256)], dtype=bool)
        for first in (True, False))


def thin(binary: np.ndarray) -> np.ndarray:
    """Thin ``binary`` until nothing changes (``bwmorph(..., 'thin', Inf)``).

    Args:
        binary: ``(H, W)`` bool map.

    Returns:
        ``(H, W)`` bool map of one-pixel-wide lines.
    """
    skel = np.ascontiguousarray(binary, dtype=np.uint8)
    rows = np.flatnonzero(skel.any(axis=1))
    if len(rows) == 0:
        return skel.astype(bool)
    cols = np.flatnonzero(skel.any(axis=0))
    r0, r1 = max(rows[0] - 1, 0), rows[-1] + 2  # the bounding box
    c0, c1 = max(cols[0] - 1, 0), cols[-1] + 2
    box = skel[r0:r1, c0:c1].copy()
    tables = deletion_tables()
    count = int(box.sum())
    while True:
        for table in tables:
            codes = cv2.filter2D(
                box, -1, NEIGHBOUR_WEIGHTS, borderType=cv2.BORDER_CONSTANT)
            box[table[codes]] = 0
        new_count = int(box.sum())
        if new_count == count:
            break
        count = new_count
    out = np.zeros(skel.shape, dtype=bool)
    out[r0:r1, c0:c1] = box.astype(bool)
    return out
