"""MMEngine's Runner, given the config's top-level ``tasks`` first, with
checked checkpoint loading and reproducible resume."""
import copy
from typing import Callable, Union

from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS  # built from the root registry
from mmengine.runner import BaseLoop, Runner
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)

from ..models.backbones.load_report import backbone_load_line
from ..models.backbones.pretrained_layouts import refuse_pretrained_file
from .checkpoint_fit import check_checkpoint_fits, checkpoint_state_dict
from .config_tasks import apply_config_tasks
from .dataloader_workers import release_workers
from .file_backends import install_file_backends
from .hooks import PendingValidationHook
from .resume_checkpoint import find_resume_checkpoint
from .resume_config import describe_differences

#: The hook every mmpoly run gets (see :class:`RandomStateHook`).
RANDOM_STATE_HOOK = 'RandomStateHook'
#: Hooks every mmpoly run gets unless its config has them: reproducible
#: resume, validation repeated after a kill, divergence caught.
RELIABILITY_HOOKS = (RANDOM_STATE_HOOK, 'PendingValidationHook',
                     'NonFiniteLossHook')


@RUNNERS.register_module()
class MultiTaskRunner(Runner):
    """A :class:`mmengine.runner.Runner` for configs that declare ``tasks``.

    Differences from MMEngine's runner:

    - Constructing one installs mmpoly's atomic local file backend and safe
      checkpoint loader into MMEngine
      (:func:`~mmpoly.engine.install_file_backends`), before the work dir,
      the logs and any checkpoint are touched.
    - :meth:`from_cfg` hands the config's top-level ``tasks`` to the model,
      the data sets and the metrics
      (:func:`~mmpoly.engine.apply_config_tasks`) before building them, and
      adds the hooks of :data:`RELIABILITY_HOOKS` the config does not
      have: :class:`~mmpoly.engine.hooks.RandomStateHook` (random-number
      states in checkpoints, restored on resume),
      :class:`~mmpoly.engine.hooks.PendingValidationHook` (a validation a
      kill interrupted is repeated on resume) and
      :class:`~mmpoly.engine.hooks.NonFiniteLossHook` (stop at the first
      non-finite loss or gradient; no non-finite checkpoint).
    - :meth:`load_checkpoint` (``load_from``, resume, ``tools/test.py``)
      refuses a checkpoint that is not the model's: one without every
      trainable tensor, with tensors the model does not have, or with other
      shapes (:func:`~mmpoly.engine.checkpoint_fit.check_checkpoint_fits`).
      The config's top-level ``checkpoint_strict = False`` (``--no-strict``
      in the tools) only warns.
    - :meth:`resume` logs how the config differs from the checkpoint's
      (and which differences the checkpoint's optimizer and scheduler
      states override), and refuses a ``max_iters`` at or below the
      checkpoint's iteration.
    - :meth:`load_or_resume` finds the checkpoint of ``resume=True``
      without ``load_from`` as ``tools/train.py --resume`` does
      (:func:`~mmpoly.engine.resume_checkpoint.find_resume_checkpoint`: a
      damaged ``last_checkpoint`` falls back to the newest complete
      ``iter_N.pth``).
    - :meth:`train`, :meth:`val` and :meth:`test` stop the built loops'
      persistent dataloader workers when they return
      (:func:`~mmpoly.engine.dataloader_workers.release_workers`), so that
      a script building several runners does not stall on each dropped
      one.

    mmpoly's configs select it with ``runner_type = 'MultiTaskRunner'``, so
    ``RUNNERS.build(cfg)`` (as in MMSegmentation's tools) uses it.
    """

    checkpoint_strict: bool = True
    _loaded_meta: dict = {}  # meta of the checkpoint loaded last

    def __init__(self, *args, **kwargs) -> None:
        """As MMEngine's, after :func:`install_file_backends`."""
        install_file_backends()
        super().__init__(*args, **kwargs)

    @classmethod
    def from_cfg(cls, cfg) -> 'Runner':
        cfg = apply_config_tasks(copy.deepcopy(cfg))
        strict = cfg.pop('checkpoint_strict', True)
        hooks = list(cfg.get('custom_hooks') or [])
        present = {h.get('type') for h in hooks}
        cfg.custom_hooks = hooks + [
            dict(type=name)
            for name in RELIABILITY_HOOKS if name not in present
        ]
        runner = super().from_cfg(cfg)
        runner.checkpoint_strict = bool(strict)
        return runner

    def train(self):
        """MMEngine's training, then its loaders' workers stopped."""
        try:
            return super().train()
        finally:
            self.release_dataloader_workers()

    def val(self) -> dict:
        """MMEngine's validation, then its loader's workers stopped."""
        try:
            return super().val()
        finally:
            self.release_dataloader_workers()

    def test(self) -> dict:
        """MMEngine's test, then its loader's workers stopped."""
        try:
            return super().test()
        finally:
            self.release_dataloader_workers()

    def release_dataloader_workers(self) -> None:
        """Stop the persistent workers of every built loop's dataloader
        (a later run starts new ones)."""
        for loop in (self._train_loop, self._val_loop, self._test_loop):
            if isinstance(loop, BaseLoop):
                release_workers(loop.dataloader)

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
        self._loaded_meta = checkpoint.get('meta') or {}
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        if self.checkpoint_strict:
            refuse_pretrained_file(model, checkpoint, filename)
        check_checkpoint_fits(
            model,
            checkpoint,
            filename,
            strict=self.checkpoint_strict,
            revise_keys=revise_keys)
        state = checkpoint_state_dict(checkpoint, revise_keys)
        checkpoint = _load_checkpoint_to_model(
            model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        self.logger.info(backbone_load_line(model, state, filename))
        return checkpoint

    def load_or_resume(self) -> None:
        """As MMEngine's, but ``resume=True`` without ``load_from`` resumes
        from :func:`~mmpoly.engine.resume_checkpoint.find_resume_checkpoint`
        (MMEngine would read ``last_checkpoint`` as text, whatever it
        holds)."""
        if not self._has_loaded and self._resume and self._load_from is None:
            found = find_resume_checkpoint(self.work_dir)
            if found is None:
                self.logger.info(f'nothing to resume from in {self.work_dir}'
                                 ': starting afresh')
                self._resume = False
            self._load_from = found
        return super().load_or_resume()

    def resume(self, filename: str, *args, **kwargs) -> None:
        """MMEngine's resume, then: log how the current config differs from
        the checkpoint's (``meta['cfg']``) and what the checkpoint
        overrides; refuse a ``max_iters`` at or below the checkpoint's
        iteration (unless only the checkpoint's interrupted validation is
        left to run, see :class:`~mmpoly.engine.hooks.PendingValidationHook`).

        Raises:
            ValueError: ``train_cfg.max_iters`` leaves nothing to train.
        """
        self._loaded_meta = {}
        super().resume(filename, *args, **kwargs)
        saved_cfg = self._loaded_meta.get('cfg')
        if isinstance(saved_cfg, str):
            try:
                message = describe_differences(saved_cfg, self.cfg, filename)
            except Exception as e:  # noqa: B902 - the comparison is a help
                message = (f'resuming from {filename}: could not compare '
                           f'the config with the checkpoint\'s ({e})')
            if message:
                self.logger.warning(message)
        loop = self.train_loop
        if not hasattr(loop, 'max_iters') or self.iter < loop.max_iters:
            return
        pending = any(
            isinstance(h, PendingValidationHook)
            and h.pending_resume() == self.iter for h in self.hooks)
        if pending and self.iter == loop.max_iters:
            return  # the final validation is all that is left
        raise ValueError(
            f'--resume: train_cfg.max_iters={loop.max_iters} is at or below '
            f'the iteration of the checkpoint {filename} ({self.iter}): '
            f'nothing is left to train; set train_cfg.max_iters above '
            f'{self.iter}, or test the checkpoint with tools/test.py')
