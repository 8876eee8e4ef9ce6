"""``init_cfg=dict(type='Pretrained', ...)`` that checks what it loaded.

MMEngine's ``PretrainedInit`` loads with ``strict=False`` and only logs
what did not match, so a backbone whose pretrained file has other names
(Microsoft's official Swin release) or other shapes trains from random
weights unnoticed, or fails deep inside with "backbone. is not in the
pretrained model". ``import mmpoly`` registers :class:`CheckedPretrainedInit`
as ``Pretrained`` in MMSegmentation's initialiser registry (scope
``mmseg``, the scope of mmpoly's configs, runner, inferencer and tools),
where it shadows MMEngine's ``PretrainedInit`` of the root registry; models
initialised under another default scope (or none) still get MMEngine's,
which is left registered as it is.

Why the name ``Pretrained`` and not a name of mmpoly's own: MMEngine's
``BaseModule.init_weights`` and the mmpretrain / MMSeg backbones test
``init_cfg['type'] == 'Pretrained'`` (or ``is PretrainedInit``, the exact
class) to apply pretrained weights after the children's own initialisation
and to skip their default initialisation; an initialiser under another
name is applied first and then overwritten. Why at import and not by
:func:`~mmpoly.engine.install_file_backends` (or around
``PEFTBackbone``'s build, restored afterwards): pretrained weights are
loaded wherever a model is built and initialised, inside
``PEFTBackbone.__init__`` for the parameter-efficient configs and by the
model's ``init_weights`` for full fine-tuning
(``model.backbone.init_cfg``), whether the Runner, the inferencer, a tool
or a user's own ``MODELS.build`` builds it; an initialiser installed only
on some of these paths would let the others load pretrained weights
unchecked (``strict=False``, mismatches only logged), the failure this
class exists to stop. Registering it in the ``mmseg`` scope, as mmpoly
registers its models, keeps it to mmpoly's (and MMSeg's) builds without
replacing MMEngine's for the whole process. It

- reads a local file with mmpoly's safe loader
  (:func:`~mmpoly.engine.checkpoint_loading.load_local_checkpoint`: zip or
  legacy ``torch.save``, truncated files named) whether or not
  :func:`~mmpoly.engine.install_file_backends` was called; URLs and other
  schemes with MMEngine's ``CheckpointLoader``,
- recognises its layout and takes the backbone's tensors under the
  backbone's names (:func:`~.pretrained_layouts.backbone_state_from`:
  mmpretrain, mmcls v0, official Swin converted on the fly, bare backbone),
- resizes relative-position tables pretrained with another window size
  (:mod:`.relative_position_resize`, in PyTorch),
- refuses a file that gives fewer than all of the backbone's tensors
  (with their shapes) in one line, unless ``allow_partial=True``,
- logs one line: ``loaded 173 of 173 backbone tensors from <file> (...)``.

Buffers the backbone computes from its configuration
(``relative_position_index``, ``attn_mask``, ``relative_coords_table``)
are neither loaded nor counted,
and neither are the output norms of earlier stages (``norm0``-``norm2`` of
a Swin with ``out_indices=(0, 1, 2, 3)``) when the file is a classifier's,
which only has the last stage's norm: they are new, as in MMSeg.
"""
import re
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model.weight_init import PretrainedInit, update_init_info
from mmseg.registry import WEIGHT_INITIALIZERS

from .pretrained_layouts import SHOWN, backbone_state_from, is_computed
from .relative_position_resize import (TABLE_SUFFIX,
                                       resize_relative_position_tables,
                                       table_side, unresizable_table)

_STAGE = re.compile(r'^stages\.(\d+)\.')
_OUT_NORM = re.compile(r'^norm(\d+)\.')

#: Attribute of a backbone that holds its :class:`PretrainedReport`.
REPORT_ATTR = 'pretrained_report'


class PretrainedMismatchError(ValueError):
    """A pretrained file that does not give every backbone tensor."""


def _some(names: List[str]) -> str:
    more = len(names) - SHOWN
    return ', '.join(names[:SHOWN]) + (f' and {more} more' if more > 0 else '')


@dataclass
class PretrainedReport:
    """What a pretrained file gave a backbone.

    Attributes:
        filename: The file (path or URL).
        layout: Its layout, in words.
        owner: The backbone's class name.
        total: How many tensors the backbone has (computed buffers aside).
        loaded: Names of those loaded from the file.
        missing: Names of those the file does not have.
        mismatched: ``'<name> <file shape> vs <model shape>'`` of those the
            file has with another shape that cannot be resized.
        unexpected: Names in the file the backbone does not have.
        resized: ``(W1, W2)`` window sizes of resized tables.
        new_outputs: Names of the output norms of earlier stages that the
            backbone adds for dense prediction and the file (a classifier's)
            does not have; not counted.
    """
    filename: str
    layout: str
    owner: str
    total: int
    loaded: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    mismatched: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    resized: List[Tuple[int, int]] = field(default_factory=list)
    new_outputs: List[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return len(self.loaded) == self.total

    def _details(self) -> List[str]:
        out = []
        if self.missing:
            out.append(f'{len(self.missing)} missing ({_some(self.missing)})')
        if self.mismatched:
            out.append(f'{len(self.mismatched)} with another shape '
                       f'({_some(self.mismatched)})')
        return out

    def line(self) -> str:
        """The log line."""
        notes = [f'{self.owner}, {self.layout}']
        if self.resized:
            sizes = sorted(set(self.resized))
            notes.append(
                f'{len(self.resized)} relative-position tables resized '
                'from window ' + ', '.join(f'{a} to {b}' for a, b in sizes))
        if self.new_outputs:
            norms = sorted({n.split('.', 1)[0] for n in self.new_outputs})
            notes.append(f'output norms {", ".join(norms)} are new, not '
                         'from the file')
        text = (f'loaded {len(self.loaded)} of {self.total} backbone '
                f'tensors from {self.filename} ({"; ".join(notes)})')
        if not self.complete:
            text += ('; allow_partial=True: the other '
                     f'{self.total - len(self.loaded)} keep their '
                     'initialisation: ' + '; '.join(self._details()))
        if self.unexpected:
            text += (f'; {len(self.unexpected)} tensors of the file are not '
                     f'in the backbone ({_some(self.unexpected)})')
        return text

    def refusal(self) -> str:
        """The error message of an incomplete load."""
        return (f'pretrained checkpoint {self.filename} ({self.layout}) '
                f'gives {len(self.loaded)} of the {self.total} tensors of the '
                f'backbone {self.owner}: ' + '; '.join(self._details()) +
                '. Point init_cfg.checkpoint at weights of this backbone '
                '(same architecture), or set init_cfg.allow_partial=True to '
                'keep the others at their initialisation')


def _resizable(name: str, value: torch.Tensor, target: torch.Size) -> bool:
    if name.endswith(TABLE_SUFFIX):
        return (value.dim() == 2 and len(target) == 2
                and value.shape[1] == target[1]
                and bool(table_side(value.shape[0]))
                and bool(table_side(target[0])))
    # mmpretrain resizes an absolute position embedding itself (in torch)
    return (name.endswith('absolute_pos_embed') and value.dim() == 3
            and len(target) == 3 and value.shape[2] == target[2])


def new_output_norms(state: Mapping[str, torch.Tensor],
                     own: Mapping[str, torch.Tensor]) -> List[str]:
    """The backbone's ``norm<i>`` tensors of stages before the last that
    ``state`` lacks: output norms a dense-prediction backbone adds to a
    classifier's weights (which only normalise the last stage)."""
    stages = [int(m.group(1)) for m in map(_STAGE.match, own) if m]
    if not stages:
        return []
    last = max(stages)
    out = []
    for name in own:
        m = _OUT_NORM.match(name)
        if m and int(m.group(1)) != last and name not in state:
            out.append(name)
    return out


def compare_with_backbone(state: Mapping[str, torch.Tensor],
                          own: Mapping[str, torch.Tensor],
                          report: PretrainedReport) -> List[str]:
    """Fill ``report`` with what ``state`` gives a backbone whose state
    dict is ``own``; returns the names whose tables need resizing."""
    report.new_outputs = new_output_norms(state, own)
    counted = [
        k for k in own if not is_computed(k) and k not in report.new_outputs
    ]
    report.total = len(counted)
    resize = []
    for name in counted:
        if name not in state:
            report.missing.append(name)
            continue
        value, target = state[name], own[name].shape
        if tuple(value.shape) == tuple(target):
            report.loaded.append(name)
        elif _resizable(name, value, target):
            report.loaded.append(name)
            if name.endswith(TABLE_SUFFIX):
                resize.append(name)
        else:
            report.mismatched.append(
                f'{name} {tuple(value.shape)} vs {tuple(target)}')
    report.unexpected = [k for k in state if k not in own]
    return resize


def load_pretrained_backbone(module: nn.Module,
                             checkpoint,
                             filename: str,
                             prefix: Optional[str] = None,
                             allow_partial: bool = False) -> PretrainedReport:
    """Load the backbone tensors of a loaded checkpoint into ``module``.

    Args:
        module: The backbone.
        checkpoint: The loaded checkpoint (any layout
            :func:`~.pretrained_layouts.backbone_state_from` knows).
        filename: Its path or URL, for messages.
        prefix: The backbone's prefix in the file (``'backbone.'``).
        allow_partial: Load what fits when the file gives fewer than all
            of the backbone's tensors, instead of refusing it.

    Returns:
        What was loaded (also stored as ``module.pretrained_report``).

    Raises:
        PretrainedMismatchError: fewer than all tensors, not allowed.
        RelativePositionResizeError: the only problem is relative-position
            tables that cannot be resized (the first one, with both
            shapes).
        PretrainedLayoutError: nothing in the file is the backbone's.
    """
    own = module.state_dict()
    state, layout = backbone_state_from(checkpoint, prefix, own, filename)
    report = PretrainedReport(filename, layout, type(module).__name__, 0)
    resize = compare_with_backbone(state, own, report)
    if not report.complete and not allow_partial:
        bad = [m.split(' ', 1)[0] for m in report.mismatched]
        if bad and not report.missing and all(
                name.endswith(TABLE_SUFFIX) for name in bad):
            raise unresizable_table(filename, bad[0], state[bad[0]].shape,
                                    own[bad[0]].shape)
        raise PretrainedMismatchError(report.refusal())
    tables: Dict[str, torch.Tensor] = {k: state[k] for k in resize}
    report.resized = resize_relative_position_tables(tables, own, filename)
    to_load = {k: tables.get(k, state[k]) for k in report.loaded}
    module.load_state_dict(to_load, strict=False)
    setattr(module, REPORT_ATTR, report)
    return report


def load_pretrained_file(filename: str, map_location='cpu'):
    """Read a pretrained file: a local path with mmpoly's
    :func:`~mmpoly.engine.checkpoint_loading.load_local_checkpoint`, a URL
    or another scheme with MMEngine's ``CheckpointLoader``."""
    from mmengine.runner.checkpoint import CheckpointLoader

    from ...engine.checkpoint_loading import load_local_checkpoint
    local = CheckpointLoader._schemes.get('')
    if CheckpointLoader._get_checkpoint_loader(filename) is local:
        return load_local_checkpoint(filename, map_location)
    return CheckpointLoader.load_checkpoint(filename, map_location)


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class CheckedPretrainedInit(PretrainedInit):
    """MMEngine's ``Pretrained`` initialiser, with layouts recognised,
    window sizes adapted and the result checked and logged (the ``mmseg``
    scope's ``Pretrained``; see the module docstring for why that name and
    scope).

    Args:
        checkpoint: Path or URL of the pretrained file.
        prefix: The backbone's prefix in the file (``'backbone.'`` for
            classifier checkpoints); official Swin files are recognised
            whatever it is.
        map_location: As in :func:`torch.load`.
        allow_partial: Load a file that gives fewer than all of the
            backbone's tensors (the others keep their initialisation)
            instead of refusing it.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: Optional[str] = None,
                 map_location: str = 'cpu',
                 allow_partial: bool = False) -> None:
        super().__init__(checkpoint, prefix, map_location)
        self.allow_partial = allow_partial

    def __call__(self, module: nn.Module) -> None:
        checkpoint = load_pretrained_file(
            str(self.checkpoint), map_location=self.map_location)
        report = load_pretrained_backbone(module, checkpoint,
                                          str(self.checkpoint), self.prefix,
                                          self.allow_partial)
        print_log(report.line(), logger='current')
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())
