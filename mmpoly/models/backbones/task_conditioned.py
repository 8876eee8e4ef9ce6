"""The interface between a multi-task segmentor and its backbone."""
from abc import ABCMeta, abstractmethod
from typing import Dict, Sequence, Tuple

import torch
from mmengine.model import BaseModule

from ..run_mode import RunMode

Features = Tuple[torch.Tensor, ...]


class TaskConditionedBackbone(BaseModule, metaclass=ABCMeta):
    """A backbone whose features may depend on the task.

    A plain backbone (``forward(x) -> tuple``) is run once and its features
    are shared by every task. A task-conditioned backbone instead answers
    :meth:`forward_tasks` with one feature tuple per task, and says through
    :attr:`run_mode` whether it runs one pass per task.
    """

    @property
    @abstractmethod
    def run_mode(self) -> RunMode:
        """How the backbone runs for several tasks."""

    @property
    def separate_task_passes(self) -> bool:
        """Whether each task gets a backbone pass of its own, so that one
        task's graph can be back-propagated before the next task's pass
        (default: :attr:`RunMode.PER_TASK`; a backbone that batches its
        per-task passes into one says False)."""
        return self.run_mode.passes_per_task

    @abstractmethod
    def forward_tasks(self, inputs: torch.Tensor,
                      tasks: Sequence[str]) -> Dict[str, Features]:
        """Features of ``inputs`` for each task.

        Args:
            inputs: ``(N, 3, H, W)`` images.
            tasks: Tasks to compute features for.

        Returns:
            Task name -> tuple of stage features ``(N, C_s, H_s, W_s)``.
        """
