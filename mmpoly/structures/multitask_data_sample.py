"""A data sample with one image's ground truth and predictions, all tasks."""
from typing import List

from mmengine.structures import BaseDataElement, PixelData


class MultiTaskDataSample(BaseDataElement):
    """A data sample for multi-task dense prediction.

    Ground truth lives in ``gt_<task>`` fields and predictions in
    ``pred_<task>`` fields, each a :class:`PixelData` whose ``data`` is a
    ``(C, H, W)`` tensor in the format its task defines (see
    :mod:`mmpoly.tasks`): e.g. ``int64`` class indices for segmentation
    (ground truth and prediction), ``{0, 1}`` labels with ``float``
    probabilities predicted for binary tasks, ``float`` unit vectors for
    surface normals, ``float`` metres for depth.

    Meta information (``img_path``, ``ori_shape``, ``img_shape``,
    ``pad_shape``, ``flip``...) follows MMSegmentation's conventions.
    """

    def gt_tasks(self) -> List[str]:
        """Names of the tasks that have ground truth in this sample."""
        return [k[3:] for k in self.keys() if k.startswith('gt_')]

    def get_gt(self, task: str) -> PixelData:
        """Ground truth of ``task``; a clear error if it is missing."""
        return self._field(f'gt_{task}', 'ground truth', task)

    def get_pred(self, task: str) -> PixelData:
        """Prediction of ``task``; a clear error if it is missing."""
        return self._field(f'pred_{task}', 'prediction', task)

    def _field(self, key: str, what: str, task: str) -> PixelData:
        if key not in self:
            raise KeyError(
                f'data sample of {self.metainfo.get("img_path", "?")} has no '
                f'{what} for task {task!r} (fields: {list(self.keys())})')
        return self.get(key)
