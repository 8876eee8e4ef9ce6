"""A data sample with one image's ground truth and predictions, all tasks."""
from typing import List

from mmengine.structures import BaseDataElement, PixelData

from .task_spec import get_task_spec


class MultiTaskDataSample(BaseDataElement):
    """A data sample for multi-task dense prediction.

    Ground truth lives in ``gt_<task>`` fields and predictions in
    ``pred_<task>`` fields, each a :class:`PixelData` whose ``data`` is

    - ``(1, H, W)`` int64 class indices for segmentation tasks (255 = ignore);
    - ``(1, H, W)`` int64 {0, 1} (255 = ignore) for binary ground truth, and
      ``(1, H, W)`` float probabilities for binary predictions;
    - ``(3, H, W)`` float unit vectors for surface normals (zero vector =
      no label).

    Meta information (``img_path``, ``ori_shape``, ``img_shape``,
    ``pad_shape``, ``flip``...) follows MMSegmentation's conventions.
    """

    def gt_tasks(self) -> List[str]:
        """Names of the tasks that have ground truth in this sample."""
        return [k[3:] for k in self.keys() if k.startswith('gt_')]

    def get_gt(self, task: str) -> PixelData:
        """Ground truth of ``task``; a clear error if it is missing."""
        key = get_task_spec(task).gt_key
        if key not in self:
            raise KeyError(
                f'data sample of {self.metainfo.get("img_path", "?")} has no '
                f'ground truth for task {task!r} (fields: {list(self.keys())})'
            )
        return self.get(key)

    def get_pred(self, task: str) -> PixelData:
        """Prediction of ``task``; a clear error if it is missing."""
        key = get_task_spec(task).pred_key
        if key not in self:
            raise KeyError(f'data sample has no prediction for task {task!r} '
                           f'(fields: {list(self.keys())})')
        return self.get(key)
