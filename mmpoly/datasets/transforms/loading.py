"""Loading every task's ground truth of a multi-task sample."""
from typing import Optional

from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from .task_results import task_set_of


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
