"""What differs between a resumed checkpoint's config and the current one,
and what of it the checkpoint overrides."""
import ast
from typing import Any, Dict, List, Optional, Tuple

from mmengine.config import Config

#: Config sections whose changes matter to a resumed training.
SECTIONS = ('train_cfg', 'optim_wrapper', 'param_scheduler', 'tasks', 'model',
            'train_dataloader', 'randomness', 'auto_scale_lr')

#: Key prefixes whose values the checkpoint's states replace on resume
#: (MMEngine loads the optimizer's param groups, hyper-parameters included,
#: and the schedulers' whole state), with what replaces them.
OVERRIDDEN = (
    ('optim_wrapper.optimizer.', "the checkpoint's optimizer state"),
    ('optim_wrapper.paramwise_cfg.', "the checkpoint's optimizer state"),
    ('param_scheduler.', "the checkpoint's scheduler state"),
)

#: Keys that name a place rather than a setting.
_IGNORED = ('train_dataloader.dataset.data_root', 'model.init_cfg',
            'model.backbone.init_cfg', 'model.backbone.backbone.init_cfg')


def flatten(obj: Any, prefix: str = '') -> Dict[str, Any]:
    """``{'a.b.0.c': value}`` of nested dicts and lists."""
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = ((str(i), v) for i, v in enumerate(obj))
    else:
        return {prefix: obj}
    out: Dict[str, Any] = {}
    for key, value in items:
        out.update(flatten(value, f'{prefix}.{key}' if prefix else str(key)))
    if not out and prefix:
        out[prefix] = obj  # an empty dict or list
    return out


def config_differences(saved: Config,
                       current: Config) -> List[Tuple[str, Any, Any]]:
    """``(key, saved value, current value)`` for every setting of
    :data:`SECTIONS` that differs (a missing key is None)."""
    diffs = []
    for section in SECTIONS:
        a = flatten(_plain(saved.get(section)), section)
        b = flatten(_plain(current.get(section)), section)
        for key in sorted(set(a) | set(b)):
            if key.startswith(_IGNORED):
                continue
            if a.get(key) != b.get(key):
                diffs.append((key, a.get(key), b.get(key)))
    # the copies of `tasks` given to the model and the data sets
    keys = {key for key, _, _ in diffs}
    return [
        d for d in diffs if '.tasks.' not in d[0] or 'tasks.' +
        d[0].split('.tasks.', 1)[1] not in keys
    ]


def read_saved_config(text: str) -> Dict[str, Any]:
    """The settings of a config's ``pretty_text`` (as MMEngine stores it in
    ``checkpoint['meta']['cfg']``), read without running it: literals,
    ``dict(...)`` calls, lists and tuples; anything else becomes its source
    text. Nothing is imported or executed.

    Raises:
        SyntaxError: ``text`` is not Python.
    """
    out: Dict[str, Any] = {}
    for node in ast.parse(text).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            out[node.targets[0].id] = _literal(node.value)
    return out


def _literal(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(n) for n in node.elts]
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {
            _literal(k): _literal(v)
            for k, v in zip(node.keys, node.values)
        }
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and len(node.args) <= 1
            and all(k.arg for k in node.keywords)):
        out = _literal(node.args[0]) if node.args else {}
        if isinstance(out, dict):  # dict({'a.b': 1}, c=2)
            out.update({k.arg: _literal(k.value) for k in node.keywords})
            return out
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op,
                                                     (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant)):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    return ast.unparse(node)


def overridden_by(key: str) -> Optional[str]:
    """What replaces ``key``'s current value on resume, or None when the
    current value is in effect."""
    for prefix, what in OVERRIDDEN:
        if key.startswith(prefix):
            return what
    return None


def describe_differences(saved_text: str, current: Config,
                         filename: str) -> Optional[str]:
    """A log message listing how ``current`` differs from the config text
    saved in the checkpoint ``filename`` (``checkpoint['meta']['cfg']``),
    saying for each setting whether the checkpoint overrides it; None when
    nothing differs."""
    diffs = config_differences(Config(read_saved_config(saved_text)), current)
    if not diffs:
        return None
    lines = [
        f'resuming from {filename}: the config differs from the one '
        'the checkpoint was trained with:'
    ]
    for key, old, new in diffs:
        what = overridden_by(key)
        effect = (f'overridden by {what}: the run goes on with '
                  f'{old!r}' if what else 'the new value is in effect')
        lines.append(f'  {key}: {old!r} in the checkpoint, {new!r} now '
                     f'({effect})')
    if any(overridden_by(k) for k, _, _ in diffs):
        lines.append('  to train with new optimizer or schedule settings, '
                     'start a new run with load_from=<checkpoint> instead '
                     'of --resume')
    return '\n'.join(lines)


def _plain(obj: Any) -> Any:
    """Config dicts as plain dicts (ConfigDict.to_dict), values as is."""
    to_dict = getattr(obj, 'to_dict', None)
    return to_dict() if callable(to_dict) else obj
