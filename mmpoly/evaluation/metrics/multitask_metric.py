"""One metric for all tasks of a multi-task dense prediction benchmark."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmseg.registry import METRICS

from ...tasks.task_set import TaskSet, build_tasks
from ...functional import delta_m as compute_delta_m


@METRICS.register_module()
class MultiTaskMetric(BaseMetric):
    """Every task's metrics, and Δm, accumulated over the whole split.

    Each task decides its own statistics and metrics (see
    :mod:`mmpoly.tasks`); keys are ``<task>/<metric>``, plus ``delta_m``:
    Δm of the tasks' primary metrics against their ``delta_m_reference``.

    Each image contributes small per-image statistics that are summed.
    MMEngine's collection puts the images of every process back in the data
    set's order and drops the samples a distributed sampler repeats, so the
    sums are taken in the same order and the metrics of identical
    predictions are bit-identical whatever the number of processes (the
    predictions themselves can differ in the last bits between runs with
    different batch compositions or thread counts). A metric that is
    undefined on the split (no labelled pixel) is NaN, with a warning
    naming the task; Δm is then NaN too and the warning names the missing
    term. Predictions are compared with the ground truth at the original
    image size.

    Args:
        tasks: The config's ``tasks`` (name -> task config) or a
            :class:`~mmpoly.tasks.TaskSet`; ``tools/train.py`` /
            ``tools/test.py`` fill it in from the config's top-level
            ``tasks``.
        delta_m: Whether to report Δm: True requires a
            ``delta_m_reference`` on every task (an error names the tasks
            without one); False never; None (default) when every task has
            one, otherwise the log says which tasks need one.
        output_dir: If set, also write every prediction in its task's file
            format to ``<output_dir>/<task>/<img_id>.<ext>``.
        collect_device, prefix: See :class:`mmengine.evaluator.BaseMetric`.
    """

    default_prefix: Optional[str] = ''  # keys are already '<task>/...'

    def __init__(self,
                 tasks: Optional[Union[TaskSet, Mapping]] = None,
                 delta_m: Optional[bool] = None,
                 output_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        if 'delta_m_references' in kwargs:
            raise ValueError(
                'MultiTaskMetric: delta_m_references is now set per task: '
                'tasks.<name>.delta_m_reference')
        super().__init__(
            collect_device=collect_device, prefix=prefix, **kwargs)
        if tasks is None:
            raise ValueError(
                'MultiTaskMetric needs tasks: declare them in the config\'s '
                'top-level `tasks` (tools/train.py and tools/test.py pass '
                'them on), or give tasks=...')
        self.tasks = build_tasks(tasks)
        missing = self.tasks.missing_delta_m_references()
        if delta_m and missing:
            raise ValueError(
                'Δm is asked for (val/test_evaluator delta_m=True) but ' +
                ', '.join(f'tasks.{t}.delta_m_reference'
                          for t in missing) + ' is not set')
        self.delta_m = (not missing) if delta_m is None else bool(delta_m)
        self._missing_references = missing
        self.output_dir = output_dir

    # ---------------------------------------------------------- per batch
    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Compute each image's statistics (and write predictions)."""
        for sample in data_samples:
            where = sample.get('img_path', 'sample')
            result = {}
            for name, task in self.tasks.items():
                for key in (task.pred_key, task.gt_key):
                    if key not in sample:
                        raise KeyError(f'{where}: no {key!r} for task '
                                       f'{name!r} (fields: {list(sample)})')
                pred = sample[task.pred_key]['data']
                if pred.dtype in (torch.float16, torch.bfloat16):
                    pred = pred.float()  # statistics in float32
                gt = sample[task.gt_key]['data'].to(pred.device)
                if pred.shape[-2:] != gt.shape[-2:]:
                    raise ValueError(
                        f'{where}: {name} prediction {tuple(pred.shape[-2:])}'
                        f' and ground truth {tuple(gt.shape[-2:])} sizes '
                        'differ')
                result[name] = task.stats(pred.cpu(), gt.cpu())
                if self.output_dir:
                    task.write_prediction(pred.cpu().numpy(),
                                          self._path_stem(name, sample))
            self.results.append(result)

    def _path_stem(self, task: str, sample: dict) -> str:
        img_id = sample.get('img_id') or osp.splitext(
            osp.basename(sample['img_path']))[0]
        return osp.join(self.output_dir, task, img_id)

    # ---------------------------------------------------------- per split
    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Sum the per-image statistics and compute the split's metrics."""
        if not results:
            raise ValueError('MultiTaskMetric received no results')
        metrics: Dict[str, float] = OrderedDict()
        primary = OrderedDict()
        logger = MMLogger.get_current_instance()
        for name, task in self.tasks.items():
            summed = {
                k: np.sum([r[name][k] for r in results], axis=0)
                for k in results[0][name]
            }
            undefined = []
            for key, value in task.metrics(summed, self.dataset_meta).items():
                if _undefined(value):
                    undefined.append(key)
                    value = float('nan')
                metrics[f'{name}/{key}'] = value
            if undefined:
                logger.warning(
                    f'task {name}: {", ".join(undefined)} undefined on this '
                    f'split of {len(results)} images (no labelled pixels '
                    'to measure); reported as NaN (null in metrics.json)')
            primary[name] = metrics[f'{name}/{task.primary_metric}']
        if self.delta_m:
            missing = [t for t, v in primary.items() if _undefined(v)]
            if missing:
                metrics['delta_m'] = float('nan')
                logger.warning(
                    'Δm undefined: it needs the primary metric of every '
                    'task, and ' +
                    ', '.join(f'{t}/{self.tasks[t].primary_metric}'
                              for t in missing) + ' is undefined')
            else:
                metrics['delta_m'] = compute_delta_m(primary, self.tasks)
        self._log_summary(metrics, primary)
        return metrics

    def _log_summary(self, metrics: Dict[str, float],
                     primary: Dict[str, float]) -> None:
        logger = MMLogger.get_current_instance()
        parts = [
            f'{t} {self.tasks[t].primary_metric}: ' +
            ('undefined' if _undefined(v) else f'{v:.2f}')
            for t, v in primary.items()
        ]
        if 'delta_m' in metrics and _undefined(metrics['delta_m']):
            parts.append('Δm: undefined')
        elif 'delta_m' in metrics:
            parts.append(f'Δm: {metrics["delta_m"]:+.2f}%')
        elif self._missing_references:
            parts.append('Δm not computed: no delta_m_reference for ' +
                         ', '.join(self._missing_references))
        logger.info('multi-task results (primary metrics) - ' +
                    ', '.join(parts))


def _undefined(value) -> bool:
    """Whether a metric value is missing (None) or NaN."""
    if value is None:
        return True
    try:
        return bool(np.isnan(value))
    except TypeError:
        return False
