"""A validation that a kill interrupted is run again on resume."""
import bisect
from typing import Optional

from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop
from mmseg.registry import HOOKS

#: Checkpoint key: True when the training validates right after the
#: checkpoint was written and had not finished that validation when it
#: wrote the checkpoint.
PENDING_KEY = 'validation_pending'


def validates_after_iter(loop, step: int) -> bool:
    """Whether ``loop`` (an :class:`~mmengine.runner.IterBasedTrainLoop`)
    validates once iteration ``step`` (1-based) has been trained, by the
    loop's own rule (``val_begin``, ``val_interval`` with its dynamic
    intervals, and the last iteration)."""
    if loop.runner.val_loop is None or step < loop.val_begin:
        return False
    # IterBasedTrainLoop._decide_current_val_interval, for iteration `step`
    index = bisect.bisect(loop.dynamic_milestones, step + 1)
    interval = loop.dynamic_intervals[index - 1]
    return step % interval == 0 or step == loop.max_iters


@HOOKS.register_module()
class PendingValidationHook(Hook):
    """Make ``--resume`` repeat a validation that a kill interrupted.

    MMEngine's ``CheckpointHook`` writes ``iter_N.pth`` at the end of
    iteration N, before the validation of iteration N; a run killed during
    that validation and resumed from ``iter_N.pth`` would never validate
    iteration N, and its best checkpoint (``save_best``) could be lost.

    - A checkpoint written right before a validation records
      ``checkpoint['validation_pending'] = True``; once that validation
      has finished, the checkpoint is written again with ``False`` (MMEngine
      already writes it again when the best score improved; otherwise this
      hook does, through the ``CheckpointHook``, so that ``max_keep_ckpts``
      and ``last_checkpoint`` stay right).
    - A run resumed from a checkpoint with a pending validation validates
      first (best checkpoint and all), then trains on.

    mmpoly's :class:`~mmpoly.engine.MultiTaskRunner` adds this hook to every
    config that does not have it. Only iteration-based training
    (:class:`~mmengine.runner.IterBasedTrainLoop`) is covered.
    """

    priority = 'VERY_LOW'  # after CheckpointHook (default hooks come first)

    def __init__(self) -> None:
        self._validating = False
        self._pending_step: Optional[int] = None  # written, not validated
        self._pending_keys: Optional[frozenset] = None
        self._rewritten = False
        self._resumed_pending: Optional[int] = None

    # --------------------------------------------------------------- saving
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._validating:
            checkpoint[PENDING_KEY] = False
            # the periodic checkpoint carries what a best-only checkpoint
            # lacks (optimizer, schedulers): this is iter_N.pth written again
            if frozenset(checkpoint) == self._pending_keys:
                self._rewritten = True
            return
        loop = _iter_loop(runner)
        step = checkpoint.get('meta', {}).get('iter')
        pending = (
            loop is not None and isinstance(step, int)
            and step == runner.iter + 1 and validates_after_iter(loop, step))
        checkpoint[PENDING_KEY] = pending
        if pending:
            self._pending_step = step
            self._pending_keys = frozenset(checkpoint)

    def before_val(self, runner) -> None:
        if _iter_loop(runner) is not None:
            self._validating, self._rewritten = True, False

    def after_val_epoch(self, runner, metrics=None) -> None:
        if not self._validating:
            return
        if self._pending_step == runner.iter and not self._rewritten:
            hook = _checkpoint_hook(runner)
            if hook is not None:
                # as CheckpointHook does after a new best score
                hook._save_checkpoint_with_step(
                    runner,
                    runner.iter,
                    meta=dict(epoch=runner.epoch, iter=runner.iter))
        if self._pending_step == runner.iter:
            self._pending_step = None

    def after_val(self, runner) -> None:
        self._validating = False

    # ------------------------------------------------------------- resuming
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._resumed_pending = None
        if checkpoint.get(PENDING_KEY):
            self._resumed_pending = checkpoint['meta']['iter']
            self._pending_keys = frozenset(checkpoint)

    def before_train(self, runner) -> None:
        step, self._resumed_pending = self._resumed_pending, None
        if step is None or step != runner.iter or runner.val_loop is None:
            return
        print_log(
            f'the checkpoint of iteration {step} was written before its '
            'validation, which did not finish (the run was stopped): '
            f'validating iteration {step} first', 'current')
        self._pending_step = step
        runner.val_loop.run()

    def pending_resume(self) -> Optional[int]:
        """The iteration of the loaded checkpoint if its validation is
        pending (until the resumed training has run it), else None."""
        return self._resumed_pending


def _iter_loop(runner) -> Optional[IterBasedTrainLoop]:
    """The runner's iteration-based train loop, when it is training with
    one (``runner.train_loop`` would build a loop)."""
    loop = getattr(runner, '_train_loop', None)
    return loop if isinstance(loop, IterBasedTrainLoop) else None


def _checkpoint_hook(runner) -> Optional[CheckpointHook]:
    return next((h for h in runner.hooks if isinstance(h, CheckpointHook)),
                None)
