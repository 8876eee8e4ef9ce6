"""How a task-conditioned backbone runs for several tasks."""
from enum import Enum


class RunMode(str, Enum):
    """How many backbone passes a batch takes, and where tasks differ.

    - ``PER_TASK``: one pass per task (the method has task-specific modules
      inside the backbone, e.g. Polyhistor, per-task adapters, LoRA, VPT);
    - ``SHARED``: one pass whose features serve every task (no method, or
      one set of modules shared by all tasks);
    - ``TASK_STREAMS``: one shared pass inside which every task branches
      into its own stream (MTLoRA's task-specific blocks); the features
      differ per task although the backbone ran once.
    """
    PER_TASK = 'per_task'
    SHARED = 'shared'
    TASK_STREAMS = 'task_streams'

    @property
    def passes_per_task(self) -> bool:
        """Whether the backbone runs once per task."""
        return self is RunMode.PER_TASK
