"""Reading and writing label files, with errors that name the file.

The task classes decode their ground truth with these helpers, and the data
sets' own decoders (PASCAL-Part structs, NYUD encodings...) build on them.
Every reader raises :class:`DataFormatError` or :class:`FileNotFoundError`
naming the file when its content is not what was expected.
"""
import io
import os
import os.path as osp
from typing import Optional, Tuple

import mmcv
import numpy as np
from mmengine import fileio


class DataFormatError(ValueError):
    """A label file whose content does not match its format."""


def read_bytes(path: str, backend_args: Optional[dict] = None) -> bytes:
    """The bytes of ``path`` (any MMEngine file backend)."""
    try:
        return fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'label file not found: {path}') from None


#: MMCV decoding flags and their variants that ignore an EXIF orientation.
AS_STORED_FLAGS = dict(
    color='color_ignore_orientation', grayscale='grayscale_ignore_orientation')


def as_stored(flag: str) -> str:
    """The MMCV decoding ``flag`` that keeps the pixels as stored.

    Images and label files are decoded as stored: an EXIF orientation tag
    is ignored, as it is by ``'unchanged'``. The label files of the data
    sets mmpoly reads were made from the stored pixels (a PNG label has no
    orientation), so rotating the image alone would misalign them.
    """
    return AS_STORED_FLAGS.get(flag, flag)


def read_image(path: str,
               flag: str = 'unchanged',
               backend_args: Optional[dict] = None) -> np.ndarray:
    """Decode an image file (RGB channel order; ``flag`` as in MMCV) at its
    own bit depth (16-bit PNGs stay ``uint16``), as stored (an EXIF
    orientation is ignored, see :func:`as_stored`)."""
    data = read_bytes(path, backend_args)
    try:
        img = mmcv.imfrombytes(
            data, flag=as_stored(flag), channel_order='rgb', backend='pillow')
    except Exception as e:  # PIL raises several types on corrupt files
        raise DataFormatError(f'cannot decode image file {path}: {e}') from e
    if img is None:
        raise DataFormatError(f'cannot decode image file {path}')
    if flag == 'unchanged' and img.ndim == 3 and img.shape[2] >= 3:
        # MMCV's pillow backend returns BGR for 'unchanged' whatever the
        # channel order asked for
        img = np.ascontiguousarray(img)
        img[..., :3] = img[..., 2::-1].copy()
    return img


def read_npy(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Load a numeric ``.npy`` array (no pickled objects)."""
    data = read_bytes(path, backend_args)
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as e:
        raise DataFormatError(f'cannot read NumPy file {path}: {e}') from e
    if not isinstance(arr, np.ndarray) or not (np.issubdtype(
            arr.dtype, np.number) or arr.dtype == bool):
        raise DataFormatError(f'{path}: expected a numeric array, got '
                              f'{getattr(arr, "dtype", type(arr))}')
    return arr


def read_mat(path: str, backend_args: Optional[dict] = None) -> dict:
    """Load a MATLAB ``.mat`` file into a dict of arrays."""
    from scipy.io import loadmat
    data = read_bytes(path, backend_args)
    try:
        return loadmat(io.BytesIO(data))
    except Exception as e:
        raise DataFormatError(f'cannot read MATLAB file {path}: {e}') from e


def mat_variable(mat: dict, name: str, path: str) -> np.ndarray:
    """Variable ``name`` of a loaded ``.mat`` file, or an error naming it."""
    if name not in mat:
        names = sorted(k for k in mat if not k.startswith('__'))
        raise DataFormatError(
            f'{path}: no variable {name!r} (variables: {names})')
    return mat[name]


def check_size(arr: np.ndarray,
               shape: Tuple[int, int],
               path: str,
               reference: str = 'its image') -> None:
    """Raise, naming ``path``, if ``arr``'s (H, W) differs from ``shape``."""
    if tuple(arr.shape[:2]) != tuple(shape[:2]):
        raise DataFormatError(
            f'{path}: label size {tuple(arr.shape[:2])} (H, W) differs from '
            f'the size of {reference} {tuple(shape[:2])}')


def write_png(arr: np.ndarray, path: str) -> str:
    """Write a ``uint8``/``uint16`` grey or RGB array as a PNG.

    Args:
        arr: ``(H, W)`` or ``(H, W, 3)`` in RGB order.
        path: Output file; folders are created.

    Returns:
        ``path``.
    """
    arr = np.asarray(arr)
    if arr.ndim == 3:
        arr = arr[..., ::-1]  # mmcv writes BGR
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    if not mmcv.imwrite(np.ascontiguousarray(arr), path):
        raise OSError(f'could not write {path}')
    return path


def probability_to_uint8(prob: np.ndarray) -> np.ndarray:
    """Probabilities in [0, 1] as 8-bit grey levels (rounded)."""
    return np.clip(np.rint(np.asarray(prob) * 255.0), 0, 255).astype(np.uint8)
