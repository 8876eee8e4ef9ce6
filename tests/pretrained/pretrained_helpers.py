"""Tiny Swins and the checkpoint layouts users hold, built from them.

Every layout is written from a small random model (no download), as a
classifier's weights (only the last stage's output norm):

- ``mmpretrain``: ``{'state_dict': {'backbone.<name>': ..., 'head.fc...'},
  'meta': ...}`` as a zip (``torch.save``) or legacy (non-zip) file;
- ``mmcls_v0``: the same names but the last norm as ``backbone.norm.*``
  and the shifted blocks' ``attn.attn_mask`` buffers, written legacy, as
  the model-zoo files the configs name;
- ``bare``: the backbone's names without prefix, the last norm as
  ``norm`` and block-level ``attn_mask`` buffers (MMSeg's converted
  pretraining files);
- ``official``: ``{'model': ...}`` from
  :func:`swin_reference.official_swin_state`.

It also re-exports the command-line helpers of ``tests/reliability``.
"""
import copy
import importlib.util
import os.path as osp
from typing import Dict

import torch
from mmseg.registry import MODELS

_RELIABILITY = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'reliability',
    'conftest.py')
_spec = importlib.util.spec_from_file_location('mmpoly_reliability_helpers',
                                               _RELIABILITY)
_rel = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_rel)
cli = _rel.cli
assert_one_line_error = _rel.assert_one_line_error
short_run = _rel.short_run
data_root = _rel.data_root  # the session fixture of toy data
TOY_POLY = _rel.TOY_POLY

#: A tiny Swin for the unit tests.
TINY = dict(embed_dims=16, depths=[2, 2, 2, 2], num_heads=[1, 2, 2, 4])
#: The toy configs' Swin (configs/_base_/models/swin_sizes.py swin_mini).
MINI = dict(embed_dims=32, depths=[2, 2, 2, 2], num_heads=[1, 2, 4, 8])


def build_swin(arch=TINY,
               window: int = 7,
               init_cfg=None,
               seed: int = 0,
               **kw) -> torch.nn.Module:
    """An mmpretrain SwinTransformer with every parameter random (norms
    and tables included, so that equality checks mean something)."""
    torch.manual_seed(seed)
    cfg = dict(
        type='mmpretrain.SwinTransformer',
        arch=copy.deepcopy(arch),
        window_size=window,
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.0,
        pad_small_map=True,
        init_cfg=init_cfg)
    cfg.update(kw)
    model = MODELS.build(cfg)
    if init_cfg is None:
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0, 0.2)
    return model


def pretrained(path: str, **kw) -> dict:
    """A ``Pretrained`` init_cfg of ``path`` (classifier prefix)."""
    return dict(
        type='Pretrained', checkpoint=str(path), prefix='backbone.', **kw)


def save_layout(model: torch.nn.Module, path: str, layout: str) -> None:
    """Write ``model``'s weights in one of the layouts of the module
    docstring (not ``official``), as a classifier's: only the last stage's
    output norm."""
    own = model.state_dict()
    last = max(int(k[4]) for k in own if k.startswith('norm'))
    own = {
        k: v
        for k, v in own.items()
        if not k.startswith('norm') or k.startswith(f'norm{last}.')
    }
    legacy = layout in ('mmpretrain_legacy', 'mmcls_v0')
    old_names = layout in ('mmcls_v0', 'bare')
    state: Dict[str, torch.Tensor] = {}
    for key, value in own.items():
        if old_names and key.startswith(f'norm{last}.'):
            key = 'norm.' + key[len(f'norm{last}.'):]
        state[key] = value
    shifted = [k for k in own if k.endswith('.blocks.1.attn.w_msa.qkv.weight')]
    for key in shifted if old_names else []:
        block = key[:key.index('.attn.w_msa.')]
        # mmcls v0 kept the mask in the attention module, MMSeg in the block
        mask = f'{block}.attn.attn_mask' if legacy else f'{block}.attn_mask'
        state[mask] = torch.zeros(4, 49, 49)
    if layout == 'bare':  # MMSeg's converted pretraining files
        torch.save(state, path)
        return
    state = {'backbone.' + k: v for k, v in state.items()}
    width = own[f'norm{last}.weight'].shape[0]
    state['head.fc.weight'] = torch.randn(10, width)
    state['head.fc.bias'] = torch.randn(10)
    torch.save(
        dict(state_dict=state, meta=dict(layout=layout)),
        path,
        _use_new_zipfile_serialization=not legacy)
