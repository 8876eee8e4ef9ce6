"""Sliding-window inference of a multi-task segmentor (``test_cfg.mode``).

``mode='whole'`` runs the network once on the padded image;
``mode='slide'`` runs it on overlapping ``crop_size`` windows ``stride``
apart and averages each task's logits where windows overlap, as MMSeg's
``EncoderDecoder.slide_inference`` does for one task: for images larger
than the network should see at once.
"""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from ..float32_island import to_float32

#: The inference modes of ``test_cfg.mode``.
MODES = ('whole', 'slide')

#: ``encode_decode(inputs, metas, tasks) -> {task: (N, C, H, W) logits}``.
EncodeDecode = Callable[[torch.Tensor, List[dict], Optional[Sequence[str]]],
                        Dict[str, torch.Tensor]]


def _pair(cfg: dict, key: str) -> Tuple[int, int]:
    value = cfg.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if (not isinstance(value, (list, tuple)) or len(value) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0
            for v in value)):
        raise ValueError(f"model.test_cfg.{key}={value!r}: mode='slide' needs "
                         f'{key}=(H, W), two positive whole numbers')
    return int(value[0]), int(value[1])


def check_test_cfg(test_cfg: dict) -> dict:
    """``test_cfg`` checked: a known ``mode``, and for ``'slide'`` a
    ``crop_size`` and a ``stride`` of two positive whole numbers each
    (stored as tuples).

    Raises:
        ValueError: one line naming the key, its value and what is
            expected.
    """
    cfg = dict(test_cfg)
    mode = cfg.setdefault('mode', 'whole')
    if mode not in MODES:
        raise ValueError(f'model.test_cfg.mode={mode!r}: expected one of '
                         f'{list(MODES)}')
    if mode == 'slide':
        cfg['crop_size'] = _pair(cfg, 'crop_size')
        cfg['stride'] = _pair(cfg, 'stride')
    return cfg


def window_starts(size: int, crop: int, stride: int) -> List[int]:
    """Start offsets of the windows along one axis of ``size`` pixels: every
    ``stride`` pixels, the last one flush with the end (one window when the
    image is not larger than ``crop``)."""
    count = max(size - crop + stride - 1, 0) // stride + 1
    return sorted(
        {max(min(i * stride + crop, size) - crop, 0)
         for i in range(count)})


def slide_logits(
        encode_decode: EncodeDecode,
        inputs: torch.Tensor,
        metas: List[dict],
        crop_size: Tuple[int, int],
        stride: Tuple[int, int],
        tasks: Optional[Sequence[str]] = None) -> Dict[str, torch.Tensor]:
    """Each task's logits over ``inputs``, averaged over sliding windows.

    Args:
        encode_decode: The segmentor's whole-input pass.
        inputs: ``(N, 3, H, W)`` normalised images.
        metas: Their meta information (``img_shape`` is set to each
            window's shape for the heads' resize).
        crop_size: ``(h, w)`` of a window.
        stride: ``(h, w)`` steps between windows.
        tasks: The tasks to predict (all by default).

    Returns:
        Task -> ``(N, C_task, H, W)`` logits.
    """
    _, _, height, width = inputs.shape
    (crop_h, crop_w), (step_h, step_w) = crop_size, stride
    sums: Dict[str, torch.Tensor] = {}
    count = inputs.new_zeros((1, 1, height, width))
    for y1 in window_starts(height, crop_h, step_h):
        for x1 in window_starts(width, crop_w, step_w):
            y2, x2 = min(y1 + crop_h, height), min(x1 + crop_w, width)
            crop = inputs[:, :, y1:y2, x1:x2]
            crop_metas = [dict(m, img_shape=crop.shape[2:]) for m in metas]
            for task, logits in encode_decode(crop, crop_metas, tasks).items():
                # summed in float32 under mixed precision
                padded = F.pad(
                    to_float32(logits), (x1, width - x2, y1, height - y2))
                sums[task] = padded if task not in sums else (sums[task] +
                                                              padded)
            count[:, :, y1:y2, x1:x2] += 1
    return {task: total / count for task, total in sums.items()}
