"""mmpoly's own registries (in MMSegmentation's ``mmseg`` scope).

Everything else mmpoly defines is registered into MMSegmentation's
registries (``MODELS``, ``DATASETS``, ``TRANSFORMS``, ``METRICS``...). Task
types have no OpenMMLab registry, so mmpoly adds one in the same scope: a
config names a task type exactly as it names a model type, and a user's own
task class, registered here and loaded with ``custom_imports``, is as good
as a built-in one::

    from mmpoly.registry import TASKS
    from mmpoly.tasks import SegmentationTask

    @TASKS.register_module()
    class MyTask(SegmentationTask):
        ...
"""
from mmengine.registry import Registry

#: Task types (:class:`mmpoly.tasks.BaseTask` subclasses).
TASKS = Registry('task', scope='mmseg', locations=['mmpoly.tasks'])

__all__ = ['TASKS']
