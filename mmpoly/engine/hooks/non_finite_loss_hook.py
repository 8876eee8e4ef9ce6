"""Stop (or skip the update) at the first non-finite loss or gradient, and
never write a checkpoint with non-finite tensors."""
import functools
import math
from typing import Dict, Iterable, List, Optional, Tuple

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmseg.registry import HOOKS

ACTIONS = ('stop', 'skip')
#: ``id(parameter) -> name``.
ParamNames = Dict[int, str]


class NonFiniteTrainingError(RuntimeError):
    """A loss, gradient or checkpoint tensor is NaN or infinite."""


def first_non_finite(tensors: Iterable[Tuple[str, object]]) -> Optional[str]:
    """The name of the first floating-point tensor of ``(name, value)``
    pairs with a NaN or infinite element, or None. Nested dicts and lists
    (optimizer states) are searched, their keys joined with dots."""
    for name, value in tensors:
        if isinstance(value, dict):
            found = first_non_finite(
                (f'{name}.{k}', v) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            found = first_non_finite(
                (f'{name}.{i}', v) for i, v in enumerate(value))
        elif (isinstance(value, torch.Tensor) and value.is_floating_point()
              and not bool(torch.isfinite(value).all())):
            found = name
        else:
            found = None
        if found is not None:
            return found
    return None


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Catch a diverging training at the first non-finite loss or gradient.

    - **Gradients** are checked before each optimizer step (one max-norm per
      tensor): a NaN or infinite gradient skips that step, so the weights in
      memory stay finite. Not under mixed precision with an enabled loss
      scaler (float16), whose own check skips such steps and lowers the
      scale.
    - **Losses** (the model's log variables whose name holds ``loss``,
      ``<task>.<loss name>`` for mmpoly's segmentors) are checked after each
      iteration, before any checkpoint of that iteration is written; the
      ranks of a distributed run agree on the verdict.
    - ``action='stop'`` (default): the training ends with an error that
      names the iteration and the tasks whose loss (or the tensor whose
      gradient) is not finite, and the last checkpoint written, which
      stays ``last_checkpoint``. ``action='skip'``: that iteration's update
      is dropped with a warning saying the same; more than ``max_skips``
      skipped iterations in a row stop the training.
    - **Checkpoints**: a checkpoint with a non-finite weight or optimizer
      state is refused (an error naming the tensor) before anything is
      written or rotated out by ``max_keep_ckpts``.

    mmpoly's :class:`~mmpoly.engine.MultiTaskRunner` adds this hook (with
    ``action='stop'``) to every config that does not have it; add
    ``dict(type='NonFiniteLossHook', action='skip')`` to ``custom_hooks``
    to skip instead.

    Args:
        action: ``'stop'`` or ``'skip'``.
        max_skips: With ``'skip'``, the most iterations in a row that may
            be skipped.
        check_grad: Check the gradients before each step (needed by
            ``'skip'``).
    """

    priority = 'ABOVE_NORMAL'  # before LoggerHook and CheckpointHook

    def __init__(self,
                 action: str = 'stop',
                 max_skips: int = 10,
                 check_grad: bool = True) -> None:
        if action not in ACTIONS:
            raise ValueError(f'NonFiniteLossHook: action must be one of '
                             f'{ACTIONS}, got {action!r}')
        if max_skips < 1:
            raise ValueError(f'NonFiniteLossHook: max_skips must be at '
                             f'least 1, got {max_skips}')
        if action == 'skip' and not check_grad:
            raise ValueError('NonFiniteLossHook: action=\'skip\' needs '
                             'check_grad=True (the step is skipped there)')
        self.action = action
        self.max_skips = max_skips
        self.check_grad = check_grad
        self._bad_grad: Optional[str] = None
        self._skipped_in_a_row = 0
        self._guarded: List[OptimWrapper] = []

    # ------------------------------------------------------------ gradients
    def before_train(self, runner) -> None:
        if not self.check_grad:
            return
        wrapper = runner.optim_wrapper
        wrappers = (
            wrapper.optim_wrappers.values() if isinstance(
                wrapper, OptimWrapperDict) else [wrapper])
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        names = {id(p): n for n, p in model.named_parameters()}
        for w in wrappers:
            if _scales_loss(w):
                continue  # AMP's scaler skips non-finite steps itself
            if any(w is g for g in self._guarded):
                continue
            self._guard(w, names)
            self._guarded.append(w)

    def _guard(self, wrapper: OptimWrapper, names: ParamNames) -> None:
        step = wrapper.step

        @functools.wraps(step)  # keeps the schedulers' step counter mark
        def checked_step(**kwargs):
            bad = _non_finite_grad(wrapper, names)
            if bad is None:
                return step(**kwargs)
            self._bad_grad = bad  # the update is dropped: weights stay

        wrapper.step = checked_step  # update_params calls self.step

    # --------------------------------------------------------------- losses
    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        bad_grad, self._bad_grad = self._bad_grad, None
        bad_losses = {
            k: float(v.detach() if isinstance(v, torch.Tensor) else v)
            for k, v in (outputs or {}).items()
            if 'loss' in k and not _finite(v)
        }
        if not _anywhere(bool(bad_losses or bad_grad)):
            self._skipped_in_a_row = 0
            self._check_before_save(runner)
            return
        what = _describe(bad_losses, bad_grad)
        iteration = runner.iter + 1  # as the log counts
        last = runner.message_hub.get_info('last_ckpt')
        kept = (f'the last checkpoint, {last}, is kept'
                if last else 'no checkpoint was written yet')
        if self.action == 'stop':
            raise NonFiniteTrainingError(
                f'iteration {iteration}: {what}; training stopped ({kept}); '
                'lower the learning rate, or add dict(type='
                '\'NonFiniteLossHook\', action=\'skip\') to custom_hooks '
                'to skip such iterations')
        self._skipped_in_a_row += 1
        if self._skipped_in_a_row > self.max_skips:
            raise NonFiniteTrainingError(
                f'iteration {iteration}: {what}; {self._skipped_in_a_row} '
                f'iterations in a row skipped (max_skips={self.max_skips}): '
                f'training stopped ({kept}); lower the learning rate')
        print_log(
            f'iteration {iteration}: {what}; the update of this iteration '
            'is skipped (NonFiniteLossHook action=skip)',
            'current',
            level=30)
        self._check_before_save(runner)

    # ---------------------------------------------------------- checkpoints
    def _check_before_save(self, runner) -> None:
        """Refuse a non-finite model or optimizer state before
        CheckpointHook rotates old checkpoints out to make room for the one
        it is about to write."""
        hook = next((h for h in runner.hooks if isinstance(h, CheckpointHook)),
                    None)
        if hook is None or hook.by_epoch:
            return
        due = hook.every_n_train_iters(
            runner, hook.interval,
            hook.save_begin) or (hook.save_last
                                 and hook.is_last_train_iter(runner))
        if due:  # what the checkpoint will hold: weights and optimizer
            model = runner.model.module if is_model_wrapper(
                runner.model) else runner.model
            _refuse(
                first_non_finite([('state_dict', model.state_dict()),
                                  ('optimizer',
                                   runner.optim_wrapper.state_dict())]),
                runner.iter + 1)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta', {})
        bad = first_non_finite([('state_dict', checkpoint.get('state_dict')),
                                ('optimizer', checkpoint.get('optimizer'))])
        if bad is not None:
            _refuse(bad, meta['iter'] if 'iter' in meta else runner.iter)


def _refuse(bad: Optional[str], iteration: int) -> None:
    if bad is not None:
        raise NonFiniteTrainingError(
            f'iteration {iteration}: {bad} is not finite (NaN or inf): '
            'refusing to write this checkpoint over the good ones; the last '
            'checkpoint written stays last_checkpoint')


def _scales_loss(wrapper: OptimWrapper) -> bool:
    """Whether ``wrapper`` has an enabled loss scaler (float16 mixed
    precision; a bfloat16 wrapper's disabled scaler checks nothing)."""
    scaler = getattr(wrapper, 'loss_scaler', None)
    if scaler is None:
        return False
    is_enabled = getattr(scaler, 'is_enabled', None)
    return True if is_enabled is None else bool(is_enabled())


def _finite(value) -> bool:
    if isinstance(value, torch.Tensor):
        return bool(torch.isfinite(value.detach()).all())
    return math.isfinite(float(value))


def _anywhere(flag: bool) -> bool:
    """``flag`` of any rank (every rank gets the same answer)."""
    if get_world_size() == 1:
        return flag
    t = torch.tensor(float(flag))
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        t = t.cuda()
    all_reduce(t, op='max')
    return bool(t.item())


def _non_finite_grad(wrapper: OptimWrapper,
                     names: ParamNames) -> Optional[str]:
    """The name of the first parameter of ``wrapper`` whose gradient is not
    finite, or None (one synchronisation for all gradients)."""
    params = [
        p for group in wrapper.optimizer.param_groups for p in group['params']
        if p.grad is not None
    ]
    if not params:
        return None
    grads = [p.grad.detach() for p in params]
    device = grads[0].device
    try:  # one fused kernel per device and dtype
        norms = torch._foreach_norm(grads, float('inf'))
    except (AttributeError, RuntimeError):
        norms = [torch.linalg.vector_norm(g, float('inf')) for g in grads]
    norms = torch.stack([n.to(device) for n in norms])
    finite = torch.isfinite(norms)
    if bool(finite.all()):
        return None
    p = params[int((~finite).nonzero()[0])]
    return names.get(id(p), 'a parameter')


def _describe(bad_losses: Dict[str, float], bad_grad: Optional[str]) -> str:
    """What is not finite, in words."""
    if bad_losses:
        per_task = [k for k in bad_losses if '.' in k] or list(bad_losses)
        tasks = sorted({k.split('.', 1)[0] for k in per_task if '.' in k})
        values = ', '.join(f'{k}={bad_losses[k]}' for k in per_task)
        if len(tasks) == 1:
            subject = f'the loss of task {tasks[0]} is'
        elif tasks:
            subject = f'the losses of tasks {", ".join(tasks)} are'
        else:
            subject = 'the loss is'
        return f'{subject} not finite ({values})'
    if bad_grad is not None:
        return (f'the gradient of {bad_grad} is not finite (NaN or inf; '
                'the losses are finite)')
    return 'a loss or gradient of another rank is not finite'
