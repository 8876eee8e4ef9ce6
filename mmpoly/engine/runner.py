"""MMEngine's Runner, given the config's top-level ``tasks`` first, with
checked checkpoint loading and reproducible resume."""
import copy
from typing import Callable, Union

from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS  # built from the root registry
from mmengine.runner import Runner
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)

from .checkpoint_fit import check_checkpoint_fits
from .config_tasks import apply_config_tasks

#: The hook every mmpoly run gets (see :class:`RandomStateHook`).
RANDOM_STATE_HOOK = 'RandomStateHook'


@RUNNERS.register_module()
class MultiTaskRunner(Runner):
    """A :class:`mmengine.runner.Runner` for configs that declare ``tasks``.

    Differences from MMEngine's runner:

    - :meth:`from_cfg` hands the config's top-level ``tasks`` to the model,
      the data sets and the metrics
      (:func:`~mmpoly.engine.apply_config_tasks`) before building them, and
      adds a :class:`~mmpoly.engine.hooks.RandomStateHook` (random-number
      states in checkpoints, restored on resume) unless the config has one.
    - :meth:`load_checkpoint` (``load_from``, resume, ``tools/test.py``)
      refuses a checkpoint that is not the model's: one without every
      trainable tensor, with tensors the model does not have, or with other
      shapes (:func:`~mmpoly.engine.checkpoint_fit.check_checkpoint_fits`).
      The config's top-level ``checkpoint_strict = False`` (``--no-strict``
      in the tools) only warns.

    mmpoly's configs select it with ``runner_type = 'MultiTaskRunner'``, so
    ``RUNNERS.build(cfg)`` (as in MMSegmentation's tools) uses it.
    """

    checkpoint_strict: bool = True

    @classmethod
    def from_cfg(cls, cfg) -> 'Runner':
        cfg = apply_config_tasks(copy.deepcopy(cfg))
        strict = cfg.pop('checkpoint_strict', True)
        hooks = list(cfg.get('custom_hooks') or [])
        if not any(h.get('type') == RANDOM_STATE_HOOK for h in hooks):
            cfg.custom_hooks = hooks + [dict(type=RANDOM_STATE_HOOK)]
        runner = super().from_cfg(cfg)
        runner.checkpoint_strict = bool(strict)
        return runner

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):
        """Load ``filename`` into the model after checking that it fits.

        As :meth:`mmengine.runner.Runner.load_checkpoint`, with
        :func:`~mmpoly.engine.checkpoint_fit.check_checkpoint_fits` between
        reading the file and loading its tensors.

        Raises:
            CheckpointMismatchError: the checkpoint is not the model's
                (unless ``checkpoint_strict`` is False).
        """
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        check_checkpoint_fits(
            model,
            checkpoint,
            filename,
            strict=self.checkpoint_strict,
            revise_keys=revise_keys)
        checkpoint = _load_checkpoint_to_model(
            model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint
