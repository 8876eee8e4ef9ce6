"""Checking that a checkpoint belongs to the model built from a config.

MMEngine loads checkpoints with ``strict=False`` and only logs missing,
unexpected and mis-shaped keys, so a checkpoint of another method is
"loaded" into a model whose tuner stays randomly initialised, and tests
write garbage metrics. :func:`check_checkpoint_fits` refuses that: every
trainable tensor of the model (tuner, heads, output norms) must be in the
checkpoint with its shape, and nothing may be in it that the model does not
have. Frozen pretrained tensors may be absent (adapter-only checkpoints;
their frozen weights come from the backbone's pretrained checkpoint, and
their ``frozen_fingerprint`` is checked when they load).
"""
import ast
import re
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log

#: MMEngine's default renaming of checkpoint keys when loading.
DEFAULT_REVISE_KEYS = ((r'^module\.', ''), )

#: How many names an error lists before "and N more".
SHOWN = 3


class CheckpointMismatchError(ValueError):
    """A checkpoint that does not hold the model's trainable tensors, or
    holds tensors the model does not have."""


def checkpoint_state_dict(
    checkpoint: Mapping,
    revise_keys: Iterable[Tuple[str, str]] = (DEFAULT_REVISE_KEYS)
) -> Dict[str, object]:
    """The model state dict of a loaded checkpoint, keys revised as MMEngine
    does (``revise_keys``: ``(pattern, replacement)`` pairs)."""
    if not isinstance(checkpoint, Mapping):
        return {}
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, Mapping):
        return {}
    out = {}
    for key, value in state.items():
        if not isinstance(key, str):
            continue
        for pattern, repl in revise_keys:
            key = re.sub(pattern, repl, key)
        out[key] = value
    return out


def checkpoint_origin(checkpoint: Mapping) -> str:
    """Where a checkpoint seems to come from, from its ``meta``: the
    experiment (config name and time) and the tuner type of its saved
    config; '' when it has no such meta."""
    meta = checkpoint.get('meta') if isinstance(checkpoint, Mapping) else None
    if not isinstance(meta, Mapping):
        return ''
    parts = []
    if meta.get('experiment_name'):
        parts.append(f'experiment {meta["experiment_name"]}')
    cfg_text = meta.get('cfg')
    if isinstance(cfg_text, str):
        tuner = _tuner_type(cfg_text)
        if tuner is not None:
            parts.append(f'tuner {tuner}' if tuner else 'no tuner')
    return ', '.join(parts)


def _tuner_type(cfg_text: str) -> Optional[str]:
    """The ``type`` of the first ``tuner=dict(...)`` in a saved config's
    text, read with :mod:`ast` (nothing in the text is run); '' when the
    config has no tuner, None when the text is not Python."""
    try:
        tree = ast.parse(cfg_text)
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.keyword) or node.arg != 'tuner':
            continue
        if isinstance(node.value, ast.Call):
            for kw in node.value.keywords:
                if kw.arg == 'type' and isinstance(kw.value, ast.Constant):
                    return str(kw.value.value)
    return ''


def _some(names: Sequence[str]) -> str:
    shown = ', '.join(names[:SHOWN])
    more = len(names) - SHOWN
    return shown + (f' and {more} more' if more > 0 else '')


def checkpoint_problems(model: torch.nn.Module,
                        state: Mapping[str, object]) -> List[str]:
    """What keeps ``state`` (a revised state dict) from being the
    checkpoint of ``model``: one phrase per kind of problem, [] when none.

    - trainable parameters of ``model`` missing from ``state``;
    - keys of ``state`` the model has no parameter or buffer for;
    - tensors whose shape differs from the model's.
    """
    params = dict(model.named_parameters())
    known = {
        **{
            n: tuple(p.shape)
            for n, p in params.items()
        },
        **{
            n: tuple(b.shape)
            for n, b in model.named_buffers()
        }
    }
    # adapter-only state dicts add keys of their own (the fingerprint)
    own = model.state_dict()
    known.update({k: tuple(v.shape) for k, v in own.items()})
    missing = [
        n for n, p in params.items() if p.requires_grad and n not in state
    ]
    unexpected = [k for k in state if k not in known]
    mismatched = [
        f'{k} {tuple(v.shape)} vs {known[k]}' for k, v in state.items()
        if k in known and isinstance(v, torch.Tensor)
        and tuple(v.shape) != known[k]
    ]
    trainable = sum(p.requires_grad for p in params.values())
    problems = []
    if missing:
        problems.append(f'{len(missing)} of the model\'s {trainable} '
                        f'trainable tensors are missing ({_some(missing)})')
    if unexpected:
        problems.append(f'{len(unexpected)} tensors are not in the model '
                        f'({_some(unexpected)})')
    if mismatched:
        problems.append(f'{len(mismatched)} tensors have another shape '
                        f'({_some(mismatched)})')
    return problems


def check_checkpoint_fits(model: torch.nn.Module,
                          checkpoint: Mapping,
                          filename: str,
                          strict: bool = True,
                          revise_keys: Iterable[Tuple[str, str]] = (
                              DEFAULT_REVISE_KEYS),
                          logger: Optional[str] = 'current') -> None:
    """Refuse (``strict``) or warn about a checkpoint that is not the
    model's.

    Args:
        model: The model built from the config (unwrapped).
        checkpoint: The loaded checkpoint (a dict with ``state_dict`` and
            usually ``meta``, or a bare state dict).
        filename: Its path, for the message.
        strict: Raise; otherwise log the same message as a warning.
        revise_keys: Key renaming applied before comparing, as in
            MMEngine's ``load_checkpoint``.
        logger: Logger of the warning.

    Raises:
        CheckpointMismatchError: one line naming the file, what is missing
            or extra (a few names and counts) and where the checkpoint
            seems to come from.
    """
    state = checkpoint_state_dict(checkpoint, revise_keys)
    problems = checkpoint_problems(model, state)
    if not problems:
        return
    origin = checkpoint_origin(checkpoint)
    msg = (f'checkpoint {filename} does not fit the model of this config: ' +
           '; '.join(problems) +
           (f'; it seems to come from {origin}' if origin else '') + '.')
    if strict:
        raise CheckpointMismatchError(
            msg + ' Use the config that trained it, or --no-strict to load '
            'it anyway')
    print_log(msg + ' Loaded anyway (not strict).', logger, level=30)
