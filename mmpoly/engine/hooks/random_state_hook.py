"""Random-number states saved in checkpoints, so that resume reproduces."""
import random
from typing import Any, Dict, Iterator, Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmseg.registry import HOOKS

#: Checkpoint key of the saved states.
STATE_KEY = 'random_state'


def get_random_state() -> Dict[str, Any]:
    """The states of Python's, NumPy's, PyTorch's (and CUDA's) global
    generators."""
    state = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_random_state(state: Dict[str, Any]) -> None:
    """Restore states made by :func:`get_random_state`."""
    random.setstate(_as_tuples(state['python']))
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def _as_tuples(obj):
    # random.setstate needs tuples; a checkpoint may hand back lists
    if isinstance(obj, (list, tuple)):
        return tuple(_as_tuples(o) for o in obj)
    return obj


class _RestoreBeforeBatch:
    """An iterator that restores ``state`` just before yielding batch
    number ``index`` (0-based) of ``iterator``."""

    def __init__(self, iterator: Iterator, index: int,
                 state: Dict[str, Any]) -> None:
        self.iterator, self.index = iterator, index
        self.state: Optional[Dict[str, Any]] = state  # None once restored
        self.count = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.count == self.index and self.state is not None:
            set_random_state(self.state)
            self.state = None
        self.count += 1
        return next(self.iterator)

    def __getattr__(self, name):
        return getattr(self.iterator, name)


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the global random-number states in every checkpoint and restore
    them on resume, so that a resumed training equals the uninterrupted one.

    - **Saving**: ``checkpoint['random_state']`` holds Python's, NumPy's,
      PyTorch's and CUDA's generator states at the moment of the
      checkpoint (the end of an iteration), taken on the process that
      writes it (rank 0). With ``randomness.diff_rank_seed=False`` (the
      default) every rank's main-process generators go through the same
      draws, so rank 0's states are every rank's.
    - **Restoring**: MMEngine replays the data loader over the iterations
      already trained (that is how it puts the sampler, and the workers'
      generators, back at the saved position); the saved states are
      restored after that replay, right before the first new batch is
      drawn, so data augmentation in the main process (``num_workers=0``)
      and dropout / drop-path draw exactly what they would have drawn.
    - **Validation leaves the training streams alone**: the states are
      saved before each validation run during training and restored after
      it, so a run that validates at an iteration and a run resumed from
      that iteration's checkpoint continue with the same numbers.
    - **A checkpoint holds the training streams' states, whenever it is
      written**: MMEngine's ``CheckpointHook`` with ``save_best`` writes
      ``iter_N.pth`` again at the end of a validation that improved the
      best score; such a checkpoint gets the states from before that
      validation, not the states validation left. A checkpoint written
      after a resume but before the first new batch (a validation the
      resumed run repeats, see :class:`PendingValidationHook`) gets the
      resumed states that are still waiting to be restored.

    mmpoly's :class:`~mmpoly.engine.MultiTaskRunner` adds this hook to every
    config that does not have it.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._resumed_state: Optional[Dict[str, Any]] = None
        self._state_before_val: Optional[Dict[str, Any]] = None
        self._restorer: Optional[_RestoreBeforeBatch] = None

    def training_state(self) -> Dict[str, Any]:
        """The training streams' states now: the resumed states while they
        wait to be restored, the states from before the validation that is
        running, or else the current states."""
        if self._restorer is not None and self._restorer.state is not None:
            return self._restorer.state
        if self._state_before_val is not None:
            return self._state_before_val
        return get_random_state()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[STATE_KEY] = self.training_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._resumed_state = checkpoint.get(STATE_KEY)

    def before_train(self, runner) -> None:
        state, self._resumed_state = self._resumed_state, None
        loop = runner.train_loop
        if runner.iter == 0:  # a new run, or weights loaded with load_from
            return
        if state is None:
            print_log(
                'the resumed checkpoint holds no random-number states '
                '(saved before mmpoly saved them); the resumed run will '
                'differ from an uninterrupted one',
                'current',
                level=30)
            return
        if not hasattr(loop, 'dataloader_iterator'):
            set_random_state(state)  # epoch-based loops: restore now
            return
        self._restorer = _RestoreBeforeBatch(loop.dataloader_iterator,
                                             runner.iter, state)
        loop.dataloader_iterator = self._restorer

    def before_val(self, runner) -> None:
        if _training(runner):
            self._state_before_val = get_random_state()

    def after_val(self, runner) -> None:
        if self._state_before_val is not None:
            set_random_state(self._state_before_val)
            self._state_before_val = None


def _training(runner) -> bool:
    """Whether ``runner`` is training (its train loop is built); reading
    ``runner.train_loop`` would build it."""
    loop = getattr(runner, '_train_loop', None)
    return loop is not None and not isinstance(loop, dict)
