"""One metric for all tasks of the multi-task dense prediction benchmark."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmseg.registry import METRICS

from ...datasets.pascal_formats import (write_index_png, write_normals_png,
                                        write_probability_png)
from ...structures import (BINARY, NORMALS, SEGMENTATION, TASK_SPECS,
                           get_task_spec)
from ..functional import (delta_m, normals_metrics, normals_stats,
                          saliency_metrics, saliency_stats,
                          segmentation_metrics, segmentation_stats)


@METRICS.register_module()
class MultiTaskMetric(BaseMetric):
    """Metrics of every task, and Δm, accumulated over the whole split.

    Per task (keys ``<task>/<name>``; values in % or degrees):

    - semseg, human_parts: ``mIoU`` (all classes including background; a
      class absent from prediction and ground truth over the split counts
      as IoU ``absent_class_iou``), ``aAcc`` and ``IoU.<class>``;
    - sal: ``mIoU`` (per-image IoU averaged over images, maximum over 15
      thresholds in [0.2, 0.9]), ``maxF`` (β² = 0.3, dataset-level counts,
      thresholds 0.05..0.95);
    - normals: ``mean``, ``median``, ``rmse`` angular error and ``11.25``,
      ``22.5``, ``30`` (% of pixels within);
    - ``delta_m`` against ``delta_m_references``, when given.

    Each image contributes small per-image statistics, so MMEngine's
    collection drops the samples a distributed sampler repeats: the result
    is the same on any number of processes. Predictions are compared with
    the ground truth at the original image size.

    Args:
        tasks: Tasks to evaluate; default: those with predictions.
        delta_m_references: Task -> single-task reference of its primary
            metric (semseg/human_parts/sal mIoU, normals mean error).
        absent_class_iou: IoU of classes absent over the whole split
            (0.0, or ``float('nan')`` to exclude them from the mean).
        per_class: Report ``IoU.<class>`` for class-map tasks.
        output_dir: If set, also write every prediction in the data set's
            formats: ``<task>/<img_id>.png`` (index PNG for class maps,
            8-bit probability for saliency, RGB-encoded normals).
        collect_device, prefix: See :class:`mmengine.evaluator.BaseMetric`.
    """

    default_prefix: Optional[str] = ''  # keys are already '<task>/...'

    def __init__(self,
                 tasks: Optional[Sequence[str]] = None,
                 delta_m_references: Optional[Mapping[str, float]] = None,
                 absent_class_iou: float = 0.0,
                 per_class: bool = True,
                 output_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(
            collect_device=collect_device, prefix=prefix, **kwargs)
        self.tasks = None if tasks is None else tuple(tasks)
        for t in self.tasks or ():
            get_task_spec(t)
        self.delta_m_references = (
            dict(delta_m_references) if delta_m_references else None)
        self.absent_class_iou = absent_class_iou
        self.per_class = per_class
        self.output_dir = output_dir

    # ---------------------------------------------------------- per batch
    def _tasks_of(self, sample: dict) -> List[str]:
        if self.tasks is not None:
            return list(self.tasks)
        preds = {k[5:] for k in sample if k.startswith('pred_')}
        return [t for t in TASK_SPECS if t in preds]

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Compute each image's statistics (and write predictions)."""
        for sample in data_samples:
            result = {}
            for task in self._tasks_of(sample):
                spec = get_task_spec(task)
                if spec.pred_key not in sample:
                    raise KeyError(f'{sample.get("img_path", "sample")}: no '
                                   f'prediction for task {task!r}')
                if spec.gt_key not in sample:
                    raise KeyError(f'{sample.get("img_path", "sample")}: no '
                                   f'ground truth for task {task!r}')
                pred = sample[spec.pred_key]['data']
                gt = sample[spec.gt_key]['data'].to(pred.device)
                if pred.shape[-2:] != gt.shape[-2:]:
                    raise ValueError(
                        f'{sample.get("img_path", "sample")}: {task} '
                        f'prediction {tuple(pred.shape[-2:])} and ground '
                        f'truth {tuple(gt.shape[-2:])} sizes differ')
                if spec.kind == SEGMENTATION:
                    result[task] = segmentation_stats(pred[0].cpu(),
                                                      gt[0].cpu(),
                                                      spec.out_channels)
                elif spec.kind == BINARY:
                    result[task] = saliency_stats(pred[0].cpu(), gt[0].cpu())
                else:
                    result[task] = normals_stats(pred.cpu(), gt.cpu())
                if self.output_dir:
                    self._write(task, sample, pred.cpu().numpy())
            self.results.append(result)

    def _write(self, task: str, sample: dict, pred: np.ndarray) -> None:
        img_id = sample.get('img_id') or osp.splitext(
            osp.basename(sample['img_path']))[0]
        path = osp.join(self.output_dir, task, f'{img_id}.png')
        kind = get_task_spec(task).kind
        if kind == SEGMENTATION:
            write_index_png(pred[0], path)
        elif kind == BINARY:
            write_probability_png(pred[0], path)
        else:
            write_normals_png(pred.transpose(1, 2, 0), path)

    # ---------------------------------------------------------- per split
    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Aggregate the per-image statistics into the split's metrics."""
        if not results:
            raise ValueError('MultiTaskMetric received no results')
        tasks = [t for t in results[0]]
        metrics: Dict[str, float] = OrderedDict()
        primary = {}
        for task in tasks:
            spec = get_task_spec(task)
            rows = [r[task] for r in results]
            if spec.kind == SEGMENTATION:
                summed = {k: sum(r[k] for r in rows) for k in rows[0]}
                m = segmentation_metrics(summed, self.absent_class_iou)
                metrics[f'{task}/mIoU'] = m['mIoU']
                metrics[f'{task}/aAcc'] = m['aAcc']
                if self.per_class:
                    names = self._class_names(task, len(m['IoU']))
                    for name, v in zip(names, m['IoU']):
                        metrics[f'{task}/IoU.{name}'] = float(v)
            elif spec.kind == BINARY:
                m = saliency_metrics(
                    np.stack([r['iou'] for r in rows]),
                    *(sum(r[k] for r in rows) for k in ('tp', 'fp', 'fn')))
                metrics[f'{task}/mIoU'] = m['mIoU']
                metrics[f'{task}/maxF'] = m['maxF']
            elif spec.kind == NORMALS:
                summed = {k: sum(r[k] for r in rows) for k in rows[0]}
                for k, v in normals_metrics(summed).items():
                    metrics[f'{task}/{k}'] = v
            primary[task] = metrics[f'{task}/{spec.primary_metric}']
        if self.delta_m_references is not None:
            metrics['delta_m'] = delta_m(primary, self.delta_m_references)
        self._log_summary(metrics, primary)
        return metrics

    def _class_names(self, task: str, num: int) -> List[str]:
        names = (self.dataset_meta or {}).get(f'{task}_classes')
        if names is None or len(names) != num:
            names = [str(i) for i in range(num)]
        return list(names)

    @staticmethod
    def _log_summary(metrics: Dict[str, float], primary: Dict[str,
                                                              float]) -> None:
        logger = MMLogger.get_current_instance()
        parts = [f'{t}: {v:.2f}' for t, v in primary.items()]
        if 'delta_m' in metrics:
            parts.append(f'Δm: {metrics["delta_m"]:+.2f}%')
        logger.info('multi-task results (primary metrics) - ' +
                    ', '.join(parts))
