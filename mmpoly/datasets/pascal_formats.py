"""Decoders of the label formats specific to the PASCAL-Context MT release.

The formats any data set may use (index PNGs, grey saliency PNGs,
RGB-encoded normals...) are read by the task classes themselves
(:meth:`mmpoly.tasks.BaseTask.read_gt`). What is particular to PASCAL is
decoded here, with the signature of :attr:`GTFile.decoder
<mmpoly.datasets.GTFile>`: ``decoder(task, gt_file, image_shape,
backend_args)``. Each raises an error naming the file when its content is
not what the format promises.
"""
from typing import Optional, Tuple

import cv2
import numpy as np

from ..functional.thinning import thin
from ..tasks import BaseTask, NormalsTask, SegmentationTask
from ..tasks.label_io import (DataFormatError, check_size, mat_variable,
                              read_mat)
from .multitask_dataset import GTFile
from .pascal_meta import (human_part_mapping, normals_valid_classes,
                          person_class_index)


def read_label_map(path: str,
                   backend_args: Optional[dict] = None) -> np.ndarray:
    """Read the 459-class ``LabelMap`` of ``pascal-context/trainval``."""
    label_map = np.asarray(
        mat_variable(read_mat(path, backend_args), 'LabelMap', path))
    if label_map.ndim != 2:
        raise DataFormatError(f'{path}: LabelMap must be 2-D, got shape '
                              f'{label_map.shape}')
    return label_map


def decode_masked_normals(task: NormalsTask, gt_file: GTFile,
                          image_shape: Tuple[int, int],
                          backend_args: Optional[dict]) -> np.ndarray:
    """``normals_distill`` normals, kept on normals-valid classes only.

    The PNG is decoded by the task; pixels whose ``LabelMap`` class
    (``gt_file.aux_path``) is not normals-valid become the zero vector.
    """
    label_map = read_label_map(gt_file.aux_path, backend_args)
    check_size(label_map, image_shape, gt_file.aux_path)
    valid = np.isin(label_map, list(normals_valid_classes()))
    return task.read_gt(
        gt_file.path,
        backend_args,
        labelled=valid,
        labelled_from=f'its LabelMap {gt_file.aux_path}')


def label_map_edges(label_map: np.ndarray) -> np.ndarray:
    """The edges of a label map: the thinned non-zero Laplacian.

    As the reference line of work derives PASCAL-Context edges: the
    3x3 Laplacian of the ``LabelMap`` (OpenCV, reflected border), non-zero
    where a class changes, thinned to one-pixel lines (the same thinning as
    ``skimage.morphology.thin``).

    Returns:
        ``uint8 (H, W)`` in {0, 1}.
    """
    laplacian = cv2.Laplacian(
        np.ascontiguousarray(label_map, dtype=np.float64), cv2.CV_64F)
    return thin(np.abs(laplacian) > 0).astype(np.uint8)


def decode_label_map_edges(task: BaseTask, gt_file: GTFile,
                           image_shape: Tuple[int, int],
                           backend_args: Optional[dict]) -> np.ndarray:
    """Edge ground truth derived from the ``LabelMap`` of ``gt_file``."""
    return label_map_edges(read_label_map(gt_file.path, backend_args))


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
                     backend_args: Optional[dict] = None,
                     ignore_index: int = 255) -> np.ndarray:
    """Decode a PASCAL-Part ``anno`` struct into the 7 human-part classes.

    Pixels of person objects' parts get their part class, everything else
    background (0). An image without any person object that has part
    annotations is all ``ignore_index``.
    """
    anno = mat_variable(read_mat(path, backend_args), 'anno', path)
    try:
        anno = np.asarray(anno).ravel()[0]
        objects = np.asarray(_field(anno, 'objects', path)).ravel()
    except (IndexError, TypeError):
        raise DataFormatError(
            f'{path}: "anno" is not a PASCAL-Part struct') from None
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
            check_size(mask, shape, f'{path} (part {name!r})')
            target[mask] = mapping[name]
    if target is None:
        return np.full(shape[:2], ignore_index, dtype=np.uint8)
    return target


def decode_human_parts(task: SegmentationTask, gt_file: GTFile,
                       image_shape: Tuple[int, int],
                       backend_args: Optional[dict]) -> np.ndarray:
    """Human parts of a PASCAL-Part struct, in the task's label map."""
    parts = read_human_parts(gt_file.path, image_shape, backend_args,
                             task.ignore_index)
    return task.as_label_map(parts, gt_file.path)
