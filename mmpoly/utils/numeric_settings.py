"""Numeric settings of a config checked before anything is built.

A learning rate, an iteration count or a batch size that is not a number
(``--cfg-options optim_wrapper.optimizer.lr=fast``) would otherwise fail
deep inside PyTorch or MMEngine ("can't multiply sequence by non-int"). Two
checks, both generic:

- an ``--cfg-options`` value that is not a number (``fast``) cannot
  replace a number of the config, whatever the key (a list or a dict may:
  some settings take a number or a pair);
- every setting whose key ends in one of :data:`WHOLE_NUMBER_KEYS` or
  :data:`NUMBER_KEYS`, wherever it is in the config (optimizer, parameter
  schedulers, loops, data loaders, hooks), must be such a number, and
  within the range of :data:`LOWER_BOUNDS`.

``None`` is accepted everywhere (MMEngine's meaning of "not set").
"""
from numbers import Integral, Real
from typing import Any, Iterator, Optional, Tuple

#: Keys (their last part) whose value must be a whole number.
WHOLE_NUMBER_KEYS = frozenset({
    'max_iters', 'max_epochs', 'val_interval', 'val_begin', 'interval',
    'batch_size', 'num_workers', 'max_keep_ckpts', 'prefetch_factor', 'begin',
    'end', 'accumulative_counts'
})

#: Keys (their last part) whose value must be a number.
NUMBER_KEYS = frozenset({
    'lr', 'weight_decay', 'momentum', 'dampening', 'eps', 'eta_min', 'power',
    'gamma', 'start_factor', 'end_factor', 'factor', 'max_norm', 'base_lr',
    'min_lr', 'lr_mult', 'decay_mult', 'drop_path_rate'
})

#: The smallest value allowed for some keys (and how to say it).
LOWER_BOUNDS = {
    'max_iters': (1, 'positive'),
    'max_epochs': (1, 'positive'),
    'val_interval': (1, 'positive'),
    'batch_size': (1, 'positive'),
    'accumulative_counts': (1, 'positive'),
    'num_workers': (0, 'non-negative'),
    'lr': (0, 'non-negative'),
    'weight_decay': (0, 'non-negative'),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _walk(node: Any, prefix: str = '') -> Iterator[Tuple[str, Any]]:
    """``(dotted key, value)`` of every setting under ``node``, nested
    ones included; list items are numbered as ``--cfg-options`` numbers
    them."""
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, (list, tuple)):
        items = enumerate(node)
    else:
        return
    for key, value in items:
        key = f'{prefix}.{key}' if prefix else str(key)
        yield key, value
        yield from _walk(value, key)


def _expected(key: str, value: Any) -> Optional[Tuple[str, type]]:
    """What ``value`` of ``key`` should have been and the error to raise
    (:class:`TypeError` for a wrong kind, :class:`ValueError` for a number
    out of range), or None if it is fine."""
    name = key.rsplit('.', 1)[-1]
    if value is None or name not in WHOLE_NUMBER_KEYS | NUMBER_KEYS:
        return None
    whole = name in WHOLE_NUMBER_KEYS
    bound = LOWER_BOUNDS.get(name)
    kind = f'a {bound[1] + " " if bound else ""}' \
        f'{"whole " if whole else ""}number expected'
    if not (_is_whole(value) if whole else _is_number(value)):
        return kind, TypeError
    if bound is not None and value < bound[0]:
        return kind, ValueError
    return None


def _tree(cfg: Any) -> Any:
    """The nested dicts of a :class:`~mmengine.config.Config` (or
    ``cfg`` itself)."""
    return getattr(cfg, '_cfg_dict', cfg)


def _lookup(cfg: Any, key: str) -> Tuple[bool, Any]:
    """``(True, value)`` of the dotted ``key`` in ``cfg``, or
    ``(False, None)`` if it is not there."""
    node = cfg
    for part in key.split('.'):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() \
                and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


def check_option_types(cfg: Any, cfg_options: dict) -> None:
    """Refuse ``--cfg-options`` that put a string where ``cfg`` (not yet
    merged) has a number, and values out of range for the keys of
    :data:`LOWER_BOUNDS`.

    Raises:
        TypeError: ``--cfg-options KEY=VALUE: a number expected (the
            config has 0.0001)``.
        ValueError: for a number out of the key's range.
    """
    for key, value in cfg_options.items():
        found, old = _lookup(_tree(cfg), key)
        if not found or value is None or not _is_number(old):
            continue
        expected = _expected(key, value)
        if expected is None and isinstance(value, str):
            expected = ('a number expected', TypeError)
        if expected is not None:
            message, error = expected
            raise error(f'--cfg-options {key}={_show(value)}: {message} '
                        f'(the config has {old!r})')


def check_numeric_settings(cfg: Any,
                           source: str,
                           cfg_options: Optional[dict] = None) -> None:
    """Refuse a setting of :data:`WHOLE_NUMBER_KEYS` / :data:`NUMBER_KEYS`
    anywhere in the (merged) ``cfg`` that is not such a number.

    Args:
        cfg: The config, after ``cfg_options`` were merged.
        source: The config file, named by the error.
        cfg_options: The ``--cfg-options`` merged in: a bad value that
            came from there is named as an option.

    Raises:
        TypeError: ``<source>: optim_wrapper.optimizer.lr = 'fast': a
            non-negative number expected`` (or, for an option,
            ``--cfg-options optim_wrapper.optimizer.lr=fast: ...``).
        ValueError: for a number out of the key's range (``max_iters``
            0).
    """
    cfg_options = cfg_options or {}
    for key, value in _walk(_tree(cfg)):
        expected = _expected(key, value)
        if expected is None:
            continue
        message, error = expected
        option = next(
            (k for k in cfg_options if key == k or key.startswith(k + '.')),
            None)
        if option is not None:
            where = '' if option == key else f' for {key}, got {value!r}'
            raise error(f'--cfg-options {option}='
                        f'{_show(cfg_options[option])}: {message}{where}')
        raise error(f'{source}: {key} = {value!r}: {message}')


def _show(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)
