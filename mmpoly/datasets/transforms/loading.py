"""Loading every task's ground truth of a multi-task sample."""
import copy
from typing import Optional, Sequence

from mmcv.transforms import BaseTransform
from mmcv.transforms import LoadImageFromFile as _LoadImageFromFile
from mmseg.registry import TRANSFORMS

from ...tasks.label_io import as_stored
from .task_results import task_set_of


def images_as_stored(pipeline: Optional[Sequence]) -> Optional[list]:
    """A copy of ``pipeline`` whose ``LoadImageFromFile`` decodes images as
    stored: its ``color_type`` ``'color'`` (the default) or ``'grayscale'``
    becomes the ``*_ignore_orientation`` variant.

    OpenCV and Pillow otherwise rotate a JPEG by its EXIF orientation tag,
    while label files (PNG, ``.npy``, ``.mat``) are read as stored
    (:func:`mmpoly.tasks.label_io.as_stored`): the image would no longer
    match its labels. Transform configs (dicts) and built transforms are
    both handled; other steps are kept as they are.
    """
    if pipeline is None:
        return None
    out = []
    for step in pipeline:
        kind = step.get('type') if isinstance(step, dict) else None
        if isinstance(kind, str):
            kind = kind.split('.')[-1]  # 'mmseg.LoadImageFromFile'
        if kind in ('LoadImageFromFile', _LoadImageFromFile):
            step = copy.copy(step)
            step['color_type'] = as_stored(step.get('color_type', 'color'))
        elif isinstance(step, _LoadImageFromFile):
            step.color_type = as_stored(step.color_type)
        out.append(step)
    return out


@TRANSFORMS.register_module()
class LoadMultiTaskAnnotations(BaseTransform):
    """Decode and check each task's ground truth into ``results``.

    For every task of the sample (``results['task_set']``), the file in
    ``results['gt_files'][task]`` is decoded by the data set's decoder or
    by the task's own :meth:`~mmpoly.tasks.BaseTask.read_gt`, then checked
    by the task (:meth:`~mmpoly.tasks.BaseTask.check_gt`: size equal to
    the image's, value range...), which raises an error naming the file.

    Required keys: ``ori_shape`` (from ``LoadImageFromFile``),
    ``task_set``, ``gt_files`` (from the multi-task data sets).

    Added keys: ``gt_<task>`` for each task, appended to ``seg_fields`` so
    that MMSegmentation's geometric transforms (``RandomCrop``) move them
    with the image.

    Args:
        backend_args: File backend arguments (see :mod:`mmengine.fileio`).
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        tasks = task_set_of(results, type(self).__name__)
        shape = tuple(results['ori_shape'][:2])
        files = results.get('gt_files', {})
        fields = results.setdefault('seg_fields', [])
        for name, task in tasks.items():
            if name not in files:
                raise KeyError(
                    f'{results.get("img_path", "sample")}: no ground-truth '
                    f'file for task {name!r} (gt_files: {sorted(files)})')
            gt_file = files[name]
            if gt_file.decoder is None:
                gt = task.read_gt(gt_file.path, self.backend_args)
            else:
                gt = gt_file.decoder(task, gt_file, shape, self.backend_args)
            task.check_gt(gt, gt_file.path, shape)
            results[task.gt_key] = gt
            if task.gt_key not in fields:
                fields.append(task.gt_key)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(backend_args={self.backend_args})'
