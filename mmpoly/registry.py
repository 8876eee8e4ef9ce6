"""mmpoly's own registries (in MMSegmentation's ``mmseg`` scope).

Everything else mmpoly defines is registered into MMSegmentation's
registries (``MODELS``, ``DATASETS``, ``TRANSFORMS``, ``METRICS``...). Task
types and tuning methods have no OpenMMLab registry, so mmpoly adds
``TASKS`` and ``TUNERS`` in the same scope: a config names a task type or a
tuner exactly as it names a model type, and a user's own class, registered
here and loaded with ``custom_imports``, is as good
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

#: Tuning methods (:class:`mmpoly.models.tuners.BaseTuner` subclasses),
#: named by ``PEFTBackbone``'s ``tuner`` config.
TUNERS = Registry(
    'tuner', scope='mmseg', locations=['mmpoly.models.tuners'])

__all__ = ['TASKS', 'TUNERS']
