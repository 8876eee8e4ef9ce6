"""Δm: average relative improvement over single-task references."""
from typing import Mapping


def delta_m(task_metrics: Mapping[str, float], tasks: Mapping) -> float:
    """Δm (%) = mean over tasks of ``s_t (M_t - S_t) / S_t * 100``.

    ``S_t`` is each task's ``delta_m_reference`` and ``s_t`` is +1 when its
    primary metric is better higher (``higher_is_better``), -1 otherwise.

    Args:
        task_metrics: Task name -> its primary metric ``M_t``.
        tasks: Task name -> task (:class:`~mmpoly.tasks.BaseTask`); must
            hold every task of ``task_metrics``.

    Raises:
        ValueError: naming the tasks without a reference.
    """
    missing = [t for t in task_metrics if tasks[t].delta_m_reference is None]
    if missing:
        raise ValueError(
            f'Δm needs a delta_m_reference for tasks {missing}: set ' +
            ', '.join(f'tasks.{t}.delta_m_reference' for t in missing))
    terms = []
    for name, value in task_metrics.items():
        task = tasks[name]
        ref = float(task.delta_m_reference)
        sign = 1.0 if task.higher_is_better else -1.0
        terms.append(sign * (float(value) - ref) / ref * 100.0)
    return sum(terms) / len(terms)
