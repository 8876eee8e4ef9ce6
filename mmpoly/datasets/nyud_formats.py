"""Decoders of the label encodings specific to the NYUD-v2 MT packagings.

Depth (``.npy`` metres), normals (``.npy`` xyz or RGB-encoded PNG) and
edges (``.npy`` or grey PNG) are the task classes' own formats. Only the
semantic labels need a decoder: both packagings store the 40 classes as
1..40 with 0 = void.
"""
from typing import Optional, Tuple

import numpy as np

from ..tasks import DataFormatError, SegmentationTask
from .multitask_dataset import GTFile


def decode_nyud_semseg(task: SegmentationTask, gt_file: GTFile,
                       image_shape: Tuple[int, int],
                       backend_args: Optional[dict]) -> np.ndarray:
    """``segmentation/<id>.png``: 0 (void) becomes ``ignore_index``, every
    other value ``v`` becomes class ``v - 1``.

    File values above the task's classes are an error naming the file, the
    values and the largest one, checked at the file's bit depth (a 16-bit
    PNG is never wrapped into 8 bits).
    """
    raw = task.read_array(gt_file.path, backend_args)
    if raw.ndim == 3 and raw.shape[2] == 1:
        raw = raw[..., 0]
    if raw.ndim != 2 or not np.issubdtype(raw.dtype, np.integer):
        raise DataFormatError(
            f'{gt_file.path}: expected a single-channel integer label PNG '
            f'for task {task.name!r}, got {raw.dtype} {raw.shape}')
    if raw.size and (raw.min() < 0 or raw.max() > task.num_classes):
        bad = np.unique(raw[(raw < 0) | (raw > task.num_classes)])
        raise DataFormatError(
            f'{gt_file.path}: task {task.name!r} has label values '
            f'{[int(v) for v in bad[:10]]} out of range (max value '
            f'{int(raw.max())} in a {raw.dtype} file); expected 0 (void) or '
            f'classes 1..{task.num_classes}')
    labels = raw.astype(np.int64) - 1
    labels[raw == 0] = task.ignore_index
    fits = labels.min() >= 0 and labels.max() <= np.iinfo(task.gt_dtype).max
    return labels.astype(task.gt_dtype if fits else np.int32)
