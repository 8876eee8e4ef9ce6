"""One log line: how many backbone tensors a checkpoint gave the model.

``load_from``, ``--resume``, ``tools/test.py`` and the inferencer load a
whole model's checkpoint. :func:`backbone_load_line` says how many of the
backbone's tensors came from it; for adapter-only checkpoints (which leave
the frozen tensors out) it says where the frozen ones come from instead of
reporting them missing.
"""
from typing import Iterable, List, Mapping, Tuple

import torch.nn as nn

from .pretrained_init import REPORT_ATTR
from .pretrained_layouts import is_computed
from .trainable_state_dict import FINGERPRINT_KEY

#: The model attribute holding the backbone.
BACKBONE = 'backbone'


def full_state_names(module: nn.Module) -> List[Tuple[str, bool, tuple]]:
    """``(name, trainable, shape)`` of every parameter and persistent
    buffer of ``module``, whatever its ``state_dict`` hooks leave out,
    without the buffers a backbone computes itself."""
    out = []
    for prefix, m in module.named_modules():
        dot = prefix + '.' if prefix else ''
        for name, p in m._parameters.items():
            if p is not None:
                out.append((dot + name, p.requires_grad, tuple(p.shape)))
        for name, b in m._buffers.items():
            if b is not None and name not in m._non_persistent_buffers_set:
                out.append((dot + name, False, tuple(b.shape)))
    seen, unique = set(), []
    for item in out:
        if item[0] not in seen and not is_computed(item[0]):
            seen.add(item[0])
            unique.append(item)
    return unique


def pretrained_source(backbone: nn.Module) -> str:
    """Where the backbone's pretrained tensors came from, in words."""
    for m in backbone.modules():
        report = getattr(m, REPORT_ATTR, None)
        if report is not None:
            return f'the pretrained {report.filename}'
    return ('the backbone\'s seeded initialisation (its init_cfg names no '
            'pretrained checkpoint)')


def backbone_load_line(model: nn.Module, state: Mapping[str, object],
                       filename: str) -> str:
    """The log line of loading ``state`` (a checkpoint's state dict, keys
    revised as MMEngine does) into ``model``.

    Example: ``loaded 173 of 173 backbone tensors from iter_40000.pth``, or
    for an adapter-only checkpoint ``loaded 30 of 203 backbone tensors from
    iter_40000.pth (adapter-only checkpoint); the other 173 are frozen and
    come from the pretrained swin_tiny.pth (fingerprint checked)``.
    """
    backbone = getattr(model, BACKBONE, None)
    if not isinstance(backbone, nn.Module):
        return f'{filename} has no backbone to count ({type(model).__name__})'
    names = full_state_names(backbone)
    prefix = BACKBONE + '.'

    def fits(name: str, shape: tuple) -> bool:
        value = state.get(prefix + name)
        return value is not None and tuple(getattr(value, 'shape',
                                                   ())) == shape

    loaded = [n for n, _, s in names if fits(n, s)]
    absent = [(n, t) for n, t, s in names if not fits(n, s)]
    text = (f'loaded {len(loaded)} of {len(names)} backbone tensors from '
            f'{filename}')
    if not absent:
        return text
    frozen = [n for n, t in absent if not t]
    trainable = [n for n, t in absent if t]
    source = pretrained_source(backbone)
    if prefix + FINGERPRINT_KEY in state:
        trainable_state = getattr(backbone, '_trainable_state', None)
        checked = ('fingerprint checked' if getattr(
            trainable_state, 'check', False) else 'fingerprint not checked: '
                   'check_frozen_fingerprint=False')
        text += (f' (adapter-only checkpoint); the other {len(frozen)} are '
                 f'frozen and come from {source} ({checked})')
    elif frozen:
        text += (f'; the other {len(frozen)} (frozen) are not in it (or '
                 f'have another shape) and keep the weights from {source}')
    if trainable:
        text += (f'; {len(trainable)} trainable ones are not in it (or have '
                 'another shape) and keep their initial values '
                 f'({_some(trainable)})')
    return text


def _some(names: Iterable[str], shown: int = 3) -> str:
    names = list(names)
    more = len(names) - shown
    return ', '.join(names[:shown]) + (f' and {more} more' if more > 0 else '')
