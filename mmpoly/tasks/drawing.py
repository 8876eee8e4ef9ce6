"""Drawing helpers of the task classes: class palettes, colour maps, blends."""
from typing import List, Tuple

import cv2
import numpy as np

Colour = Tuple[int, int, int]
#: A legend entry: a label and its RGB colour.
LegendEntry = Tuple[str, Colour]


def label_palette(num_classes: int) -> np.ndarray:
    """The PASCAL VOC colour map: ``(num_classes, 3)`` uint8 RGB colours.

    Class ``i``'s colour spreads the bits of ``i`` over the high bits of R,
    G and B (class 0 is black), as the VOC devkit does; it extends to any
    number of classes.
    """
    palette = np.zeros((num_classes, 3), np.uint8)
    for i in range(num_classes):
        c, rgb = i, [0, 0, 0]
        for bit in range(8):
            for ch in range(3):
                rgb[ch] |= ((c >> ch) & 1) << (7 - bit)
            c >>= 3
        palette[i] = rgb
    return palette


def apply_colormap(values: np.ndarray,
                   cmap: int = cv2.COLORMAP_TURBO) -> np.ndarray:
    """Map ``(H, W)`` values in [0, 1] to ``(H, W, 3)`` uint8 RGB colours
    with an OpenCV colour map."""
    levels = np.clip(np.rint(np.asarray(values) * 255), 0, 255)
    return cv2.applyColorMap(levels.astype(np.uint8), cmap)[..., ::-1]


def colormap_legend(low: float,
                    high: float,
                    unit: str = '',
                    cmap: int = cv2.COLORMAP_TURBO,
                    steps: int = 3) -> List[LegendEntry]:
    """Swatches of a colour scale from ``low`` to ``high``."""
    out = []
    for k in range(steps):
        frac = k / max(steps - 1, 1)
        colour = apply_colormap(np.array([[frac]]), cmap)[0, 0]
        value = low + frac * (high - low)
        out.append((f'{value:.2f}{unit}', tuple(int(c) for c in colour)))
    return out


def blend(image: np.ndarray, colours: np.ndarray, alpha) -> np.ndarray:
    """``(1 - alpha) * image + alpha * colours`` as uint8; ``alpha`` is a
    scalar or an ``(H, W)`` map."""
    alpha = np.asarray(alpha, np.float32)
    if alpha.ndim == 2:
        alpha = alpha[..., None]
    out = (1 - alpha) * image.astype(np.float32) + alpha * colours.astype(
        np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
