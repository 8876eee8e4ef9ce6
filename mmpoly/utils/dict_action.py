"""``--cfg-options key=value``: MMEngine's parsing, without losing spaces.

MMEngine's :class:`~mmengine.config.DictAction` removes every space of a
value and splits it at commas, so ``data_root=/data/my data`` becomes
``'/data/mydata'`` and ``data_root=/data/a,b`` a list. mmpoly's
:class:`DictAction` keeps MMEngine's syntax for numbers, booleans, ``None``
and lists (``key=[1,2]``, ``key=1,2``, ``'key="[(a,b),(c,d)]"'``) and
differs only where MMEngine would change a string:

- a value in matching quotes (``'key="a b"'``) is that string as written
  (a bracketed list, a number, a boolean or ``None`` in quotes is read as
  MMEngine reads it: ``'key="2"'`` is 2);
- the value of a path-like key (its last part ends in ``root``, ``path``,
  ``dir``, ``file``, ``prefix``, ``from``, ``checkpoint`` or
  ``filename``) is kept as written, spaces and commas included (``None``
  is still ``None``);
- any other value without a comma or brackets keeps its inner spaces.

An argument that is not ``key=value`` (e.g. the second half of an unquoted
path with a space) is an error naming it, instead of a ``ValueError`` from
tuple unpacking.
"""
import argparse
import copy
import re
from typing import Any

from mmengine.config import DictAction as _MMEngineDictAction

#: The last part of a key whose value is a path (kept as written).
PATH_KEY = re.compile(r'(root|path|dir|file|prefix|from|checkpoint|'
                      r'filename)$')


def _unquote(value: str):
    """``(inner, True)`` if ``value`` is in one pair of matching quotes,
    else ``(value, False)``."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in '\'"':
        return value[1:-1], True
    return value, False


def _bracketed(value: str) -> bool:
    return len(value) >= 2 and (value[0], value[-1]) in (('[', ']'),
                                                         ('(', ')'))


def parse_option_value(key: str, value: str) -> Any:
    """The Python value of ``--cfg-options key=value`` (see the module
    docstring for the rules)."""
    inner, quoted = _unquote(value.strip())
    if _bracketed(inner.strip()):
        return _MMEngineDictAction._parse_iterable(inner)
    if PATH_KEY.search(key.rsplit('.', 1)[-1]):
        return None if inner == 'None' else inner
    if quoted:  # numbers, booleans and None as MMEngine reads them
        return _MMEngineDictAction._parse_int_float_bool(inner)
    if ',' in inner:
        return _MMEngineDictAction._parse_iterable(inner)
    return _MMEngineDictAction._parse_int_float_bool(inner)


class DictAction(_MMEngineDictAction):
    """MMEngine's ``--cfg-options`` action that keeps the spaces of
    strings and paths (see :func:`parse_option_value`)."""

    def __call__(self,
                 parser: argparse.ArgumentParser,
                 namespace: argparse.Namespace,
                 values,
                 option_string=None) -> None:
        options = copy.copy(getattr(namespace, self.dest, None) or {})
        flag = option_string or '--cfg-options'
        for item in values or ():
            key, sep, value = item.partition('=')
            if not sep or not key.strip():
                raise ValueError(
                    f'{flag}: {item!r} is not key=value (a value with '
                    'spaces must be quoted as one argument, e.g. '
                    '"train_dataloader.dataset.data_root=/data/my data")')
            options[key.strip()] = parse_option_value(key.strip(), value)
        setattr(namespace, self.dest, options)
