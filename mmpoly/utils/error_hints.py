"""Turning the predictable errors of MMEngine builds into clear lines.

- An unknown registry type (``KeyError: X is not in the mmseg::model
  registry. Please check...``) becomes "unknown model type 'X'" with the
  closest registered names.
- A config key the built class does not accept (``TypeError:
  SwinTransformer.__init__() got an unexpected keyword argument 'foo'``)
  becomes "config key 'foo' is not an argument of SwinTransformer" with
  the closest argument names.
"""
import difflib
import inspect
import re
from typing import Iterator, List, Optional

from mmengine.registry import Registry

_UNKNOWN_TYPE = re.compile(
    r"^'?([\w.:]+) is not in the (?:(\w+)::)?(\w+) registry\..*", re.S)
_UNEXPECTED_KWARG = re.compile(
    r"^([\w.]+)\.__init__\(\) got an unexpected keyword argument '(\w+)'$")


def _registries() -> Iterator[Registry]:
    """Every registry of MMEngine and the OpenMMLab libraries loaded."""
    import sys
    seen = set()
    for module_name in ('mmengine.registry', 'mmseg.registry',
                        'mmpretrain.registry', 'mmcv.cnn', 'mmpoly.registry'):
        module = sys.modules.get(module_name)
        for value in vars(module).values() if module else ():
            if isinstance(value, Registry) and id(value) not in seen:
                seen.add(id(value))
                yield value


def _find_registry(scope: Optional[str], name: str) -> Optional[Registry]:
    for registry in _registries():
        if registry.name == name and (scope is None
                                      or registry.scope == scope):
            return registry
    return None


def registered_names(registry: Registry) -> List[str]:
    """The names ``registry`` can build: its own, its parents' and (with
    their scope prefix) its children's."""
    names = set()
    node = registry
    while node is not None:
        names.update(node.module_dict)
        for scope, child in node.children.items():
            names.update(f'{scope}.{k}' for k in child.module_dict)
        node = node.parent
    return sorted(names)


def closest(word: str, candidates: List[str], n: int = 3) -> List[str]:
    """Up to ``n`` candidates close to ``word`` (case-insensitive)."""
    lower = {c.lower(): c for c in candidates}
    bare = word.split('.')[-1].lower()
    found = difflib.get_close_matches(bare, list(lower), n=n, cutoff=0.6)
    if not found:  # scoped names: compare without the scope
        tails = {c.split('.')[-1].lower(): c for c in candidates}
        found = [
            tails[t].lower()
            for t in difflib.get_close_matches(bare, list(tails), n, 0.6)
        ]
    return [lower.get(f, f) for f in found]


def _did_you_mean(names: List[str]) -> str:
    if not names:
        return ''
    return '; did you mean ' + ' or '.join(repr(n) for n in names) + '?'


def unknown_type_hint(msg: str) -> Optional[str]:
    """The clear line of an unknown-registry-type error, or None."""
    m = _UNKNOWN_TYPE.match(msg)
    if not m:
        return None
    name, scope, registry_name = m.groups()
    registry = _find_registry(scope, registry_name)
    names = registered_names(registry) if registry is not None else []
    where = f'{scope}::{registry_name}' if scope else registry_name
    return (f'unknown {registry_name} type {name!r} (not registered in '
            f'{where}; a custom class needs custom_imports)' +
            _did_you_mean(closest(name, names)))


def _find_class(qualname: str):
    name = qualname.split('.')[-1]
    for registry in _registries():
        for node in [registry, *registry.children.values()]:
            cls = node.module_dict.get(name)
            if inspect.isclass(cls):
                return cls
    return None


def unexpected_argument_hint(msg: str) -> Optional[str]:
    """The clear line of an unexpected-keyword-argument error, or None."""
    m = _UNEXPECTED_KWARG.match(msg)
    if not m:
        return None
    qualname, key = m.groups()
    cls = _find_class(qualname)
    args: List[str] = []
    if cls is not None:
        args = [
            p for p in inspect.signature(cls.__init__).parameters
            if p not in ('self', 'args', 'kwargs')
        ]
    return (f'config key {key!r} is not an argument of '
            f'{qualname.split(".")[0]}' + _did_you_mean(closest(key, args)))
