"""Δm: average relative improvement over single-task references."""
from typing import Dict, Mapping

from ...structures import get_task_spec


def delta_m(task_metrics: Mapping[str, float],
            references: Mapping[str, float]) -> float:
    """Δm (%) = mean over tasks of ``s_t (M_t - S_t) / S_t * 100``.

    ``s_t`` is +1 when higher is better (mIoU, maxF), -1 for errors.

    Args:
        task_metrics: Task -> its primary metric ``M_t``.
        references: Task -> single-task reference ``S_t``; must cover every
            task of ``task_metrics``.

    Raises:
        KeyError: naming the tasks without a reference.
        ValueError: for a zero reference.
    """
    missing = [t for t in task_metrics if t not in references]
    if missing:
        raise KeyError(f'no Δm reference for tasks {missing}; references '
                       f'given: {dict(references)}')
    terms = []
    for task, value in task_metrics.items():
        ref = float(references[task])
        if ref == 0:
            raise ValueError(f'Δm reference of {task!r} is 0')
        sign = 1.0 if get_task_spec(task).higher_is_better else -1.0
        terms.append(sign * (float(value) - ref) / ref * 100.0)
    return sum(terms) / len(terms)


#: Single-task full fine-tuning references, Swin-T ImageNet-1k, PASCAL-Context
#: (BENCHMARK.md); primary metric per task.
PASCAL_SWIN_T_REFERENCES: Dict[str, float] = dict(
    semseg=67.21, human_parts=61.93, sal=62.35, normals=17.97)
