"""MMEngine's Runner, given the config's top-level ``tasks`` first."""
import copy

from mmengine.registry import RUNNERS  # built from the root registry
from mmengine.runner import Runner

from .config_tasks import apply_config_tasks


@RUNNERS.register_module()
class MultiTaskRunner(Runner):
    """A :class:`mmengine.runner.Runner` for configs that declare ``tasks``.

    :meth:`from_cfg` hands the config's top-level ``tasks`` to the model,
    the data sets and the metrics (:func:`~mmpoly.engine.apply_config_tasks`)
    before building them; everything else is MMEngine's. mmpoly's configs
    select it with ``runner_type = 'MultiTaskRunner'``, so
    ``RUNNERS.build(cfg)`` (as in MMSegmentation's tools) uses it.
    """

    @classmethod
    def from_cfg(cls, cfg) -> 'Runner':
        cfg = apply_config_tasks(copy.deepcopy(cfg))
        return super().from_cfg(cfg)
