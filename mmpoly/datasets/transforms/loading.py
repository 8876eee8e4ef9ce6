"""Loading every task's ground truth of a PASCAL-Context MT sample."""
from typing import Optional, Sequence

from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ...structures import check_tasks, get_task_spec
from ..pascal_formats import (check_shape, read_class_map, read_human_parts,
                              read_label_map, read_normals, read_saliency)


@TRANSFORMS.register_module()
class LoadMultiTaskAnnotations(BaseTransform):
    """Decode each task's label file into ``results['gt_<task>']``.

    Required keys: ``ori_shape`` (from ``LoadImageFromFile``), ``tasks`` and
    the ``<task>_path`` keys written by
    :class:`~mmpoly.datasets.PascalContextMTDataset` (``label_map_path`` for
    normals).

    Added keys: ``gt_<task>`` for each task (see
    :mod:`mmpoly.datasets.pascal_formats` for dtypes and shapes), appended to
    ``seg_fields`` so that MMSegmentation's geometric transforms move them
    with the image.

    Args:
        tasks: Tasks to load; defaults to the sample's ``tasks``.
        backend_args: File backend arguments (see :mod:`mmengine.fileio`).
    """

    def __init__(self,
                 tasks: Optional[Sequence[str]] = None,
                 backend_args: Optional[dict] = None) -> None:
        self.tasks = None if tasks is None else check_tasks(tasks)
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        tasks = self.tasks if self.tasks is not None else results['tasks']
        shape = tuple(results['ori_shape'][:2])
        for task in tasks:
            spec = get_task_spec(task)
            key = f'{task}_path'
            if results.get(key) is None:
                raise KeyError(
                    f'{results.get("img_path", "sample")}: no {key!r} for '
                    f'task {task!r}; is the task enabled in the dataset?')
            path = results[key]
            if task == 'semseg':
                arr = read_class_map(path, spec.out_channels,
                                     self.backend_args)
            elif task == 'human_parts':
                arr = read_human_parts(path, shape, self.backend_args)
            elif task == 'sal':
                arr = read_saliency(path, self.backend_args)
            elif task == 'normals':
                lm_path = results['label_map_path']
                label_map = read_label_map(lm_path, self.backend_args)
                check_shape(label_map, shape, lm_path)
                arr = read_normals(path, label_map, self.backend_args, lm_path)
            else:  # pragma: no cover - guarded by check_tasks / dataset
                raise KeyError(f'no loader for task {task!r}')
            check_shape(arr, shape, path)
            results[spec.gt_key] = arr
            fields = results.setdefault('seg_fields', [])
            if spec.gt_key not in fields:
                fields.append(spec.gt_key)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(tasks={self.tasks})'
