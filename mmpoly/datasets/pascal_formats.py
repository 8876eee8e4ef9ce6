"""Reading and writing the label formats of the PASCAL-Context MT release.

Decoders turn files into the arrays the pipeline carries; encoders write
arrays back in the same formats (used for predictions and generated data).
Every decoder raises an error that names the file when its content is not
what the format promises.

Array conventions (H, W = image size):

- semseg / human parts: ``uint8 (H, W)`` class index, 255 = ignore;
- saliency: ``uint8 (H, W)`` in {0, 1};
- normals: ``float32 (H, W, 3)`` unit xyz vectors, zero vector = no label.
"""
from typing import Optional, Tuple

import mmcv
import numpy as np
from mmengine import fileio

from ..structures import IGNORE_INDEX
from .pascal_meta import (human_part_mapping, normals_valid_classes,
                          person_class_index)

#: Decoded normals shorter than this are 'no label'.
MIN_NORMAL_LENGTH = 0.5


class DataFormatError(ValueError):
    """A label file whose content does not match its format."""


def _read_image(path: str, flag: str, backend_args: Optional[dict] = None):
    try:
        data = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'label file not found: {path}') from None
    try:
        img = mmcv.imfrombytes(
            data, flag=flag, channel_order='rgb', backend='pillow')
    except Exception as e:  # PIL raises several types on corrupt files
        raise DataFormatError(f'cannot decode image file {path}: {e}') from e
    if img is None:
        raise DataFormatError(f'cannot decode image file {path}')
    return img


def _loadmat(path: str, backend_args: Optional[dict] = None) -> dict:
    import io

    from scipy.io import loadmat
    try:
        data = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'label file not found: {path}') from None
    try:
        return loadmat(io.BytesIO(data))
    except Exception as e:
        raise DataFormatError(f'cannot read MATLAB file {path}: {e}') from e


def check_shape(arr: np.ndarray,
                shape: Tuple[int, int],
                path: str,
                reference: str = 'the image') -> None:
    """Raise, naming ``path``, if ``arr``'s size differs from ``shape``."""
    if tuple(arr.shape[:2]) != tuple(shape[:2]):
        raise DataFormatError(
            f'{path}: label size {tuple(arr.shape[:2])} (H, W) differs from '
            f'the size of {reference} {tuple(shape[:2])}')


def check_label_range(arr: np.ndarray, num_classes: int, path: str) -> None:
    """Raise if a class map holds values outside [0, num_classes) and 255."""
    bad = (arr >= num_classes) & (arr != IGNORE_INDEX)
    if bad.any():
        values = sorted(int(v) for v in np.unique(arr[bad]))[:10]
        raise DataFormatError(
            f'{path}: class ids {values} out of range; expected 0..'
            f'{num_classes - 1} or {IGNORE_INDEX} (ignore)')


def read_class_map(path: str,
                   num_classes: int,
                   backend_args: Optional[dict] = None) -> np.ndarray:
    """Read an index PNG (palette or grey) as ``uint8 (H, W)``."""
    arr = _read_image(path, 'unchanged', backend_args)
    if arr.ndim != 2:
        raise DataFormatError(
            f'{path}: expected a single-channel index PNG, got shape '
            f'{arr.shape}')
    if arr.dtype != np.uint8:
        if arr.min() < 0 or arr.max() > 255:
            raise DataFormatError(f'{path}: values outside 0..255')
        arr = arr.astype(np.uint8)
    check_label_range(arr, num_classes, path)
    return arr


def read_saliency(path: str,
                  backend_args: Optional[dict] = None) -> np.ndarray:
    """Read a grey saliency PNG: salient where ``png / 255 > 0.5``."""
    arr = _read_image(path, 'grayscale', backend_args)
    return (arr.astype(np.float32) / 255. > 0.5).astype(np.uint8)


def read_label_map(path: str,
                   backend_args: Optional[dict] = None) -> np.ndarray:
    """Read the 459-class ``LabelMap`` of ``pascal-context/trainval``."""
    mat = _loadmat(path, backend_args)
    if 'LabelMap' not in mat:
        raise DataFormatError(
            f'{path}: no variable "LabelMap" '
            f'(variables: {sorted(k for k in mat if not k.startswith("__"))})')
    return np.asarray(mat['LabelMap'])


def read_normals(path: str,
                 label_map: np.ndarray,
                 backend_args: Optional[dict] = None,
                 label_map_path: str = '') -> np.ndarray:
    """Read RGB-encoded normals, kept only on normals-valid classes.

    ``n = 2 * png / 255 - 1``, renormalised to unit length; pixels whose
    ``LabelMap`` class is not normals-valid, or whose decoded vector is
    shorter than :data:`MIN_NORMAL_LENGTH`, become the zero vector.
    """
    png = _read_image(path, 'color', backend_args)
    check_shape(png, label_map.shape, path,
                f'its LabelMap {label_map_path}'.rstrip())
    normals = 2.0 * png.astype(np.float32) / 255.0 - 1.0
    length = np.linalg.norm(normals, axis=2, keepdims=True)
    valid = np.isin(label_map, list(normals_valid_classes()))[..., None]
    valid &= length > MIN_NORMAL_LENGTH
    normals = np.where(valid, normals / np.maximum(length, 1e-12), 0.0)
    return normals.astype(np.float32)


def _field(struct, name: str, path: str):
    try:
        return struct[name]
    except (ValueError, KeyError, IndexError):
        raise DataFormatError(
            f'{path}: PASCAL-Part struct has no field {name!r}') from None


def _scalar(value):
    return np.asarray(value).ravel()[0]


def read_human_parts(path: str,
                     shape: Tuple[int, int],
                     backend_args: Optional[dict] = None) -> np.ndarray:
    """Decode a PASCAL-Part ``anno`` struct into the 7 human-part classes.

    Pixels of person objects' parts get their part class, everything else
    background (0). An image without any person object that has part
    annotations is all ignore (255).
    """
    mat = _loadmat(path, backend_args)
    if 'anno' not in mat:
        raise DataFormatError(f'{path}: no variable "anno"')
    anno = mat['anno'].ravel()[0]
    objects = np.asarray(_field(anno, 'objects', path)).ravel()
    mapping = human_part_mapping()
    person = person_class_index()
    target = None
    for obj in objects:
        if int(_scalar(_field(obj, 'class_ind', path))) != person:
            continue
        parts = np.asarray(_field(obj, 'parts', path)).ravel()
        if parts.size == 0:
            continue
        if target is None:
            target = np.zeros(shape[:2], dtype=np.uint8)
        for part in parts:
            name = str(_scalar(_field(part, 'part_name', path)))
            if name not in mapping:
                raise DataFormatError(
                    f'{path}: unknown person part {name!r}; known: '
                    f'{sorted(mapping)}')
            mask = np.asarray(_field(part, 'mask', path)).astype(bool)
            check_shape(mask, shape, f'{path} (part {name!r})')
            target[mask] = mapping[name]
    if target is None:
        return np.full(shape[:2], IGNORE_INDEX, dtype=np.uint8)
    return target


# ----------------------------------------------------------------- writers
def write_index_png(arr: np.ndarray, path: str) -> None:
    """Write a class map as a single-channel 8-bit PNG."""
    mmcv.imwrite(np.asarray(arr, dtype=np.uint8), path, auto_mkdir=True)


def write_probability_png(prob: np.ndarray, path: str) -> None:
    """Write probabilities in [0, 1] as an 8-bit grey PNG."""
    arr = np.clip(np.rint(np.asarray(prob) * 255.0), 0, 255).astype(np.uint8)
    mmcv.imwrite(arr, path, auto_mkdir=True)


def encode_normals(normals: np.ndarray) -> np.ndarray:
    """Encode ``(H, W, 3)`` xyz normals as RGB ``uint8`` like
    ``normals_distill``."""
    rgb = (np.asarray(normals, dtype=np.float32) + 1.0) * 0.5 * 255.0
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def write_normals_png(normals: np.ndarray, path: str) -> None:
    """Write xyz normals as an RGB PNG like ``normals_distill``."""
    mmcv.imwrite(
        encode_normals(normals)[..., ::-1], path, auto_mkdir=True)  # to BGR
