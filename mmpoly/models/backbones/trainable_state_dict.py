"""Adapter-only checkpoints: state dicts without the frozen backbone.

A frozen pretrained backbone is rebuilt from its own checkpoint whenever the
model is built from its config, so a trained parameter-efficient model only
needs to store what was trained. :class:`TrainableOnlyStateDict` makes a
wrapper's ``state_dict()`` drop the frozen backbone tensors and record a
fingerprint of them instead; loading such a state dict checks that the
backbone it is loaded into has the same frozen tensors (else predictions
could not be reproduced) and does not report them as missing.
"""
from functools import partial
from typing import Dict, List

import torch
import torch.nn as nn

FINGERPRINT_KEY = 'frozen_fingerprint'


def frozen_fingerprint(tensors: List[torch.Tensor]) -> torch.Tensor:
    """``[count, sum, sum of squares, weighted sum]`` in float64.

    The weighted sum (element ``i`` of tensor ``t`` times ``t + 1``) makes
    the fingerprint sensitive to which tensor holds which values.
    """
    out = torch.zeros(4, dtype=torch.float64)
    for i, t in enumerate(tensors):
        t = t.detach().to('cpu', torch.float64)
        out += torch.stack([
            torch.tensor(float(t.numel()), dtype=torch.float64),
            t.sum(), (t * t).sum(),
            t.sum() * (i + 1)
        ])
    return out


class TrainableOnlyStateDict:
    """State-dict hooks that store only the trainable part of a wrapper.

    Args:
        owner: The module whose ``state_dict`` is filtered.
        frozen_root: Attribute name of the frozen submodule (e.g.
            ``'backbone'``).
        check: Raise when a loaded fingerprint differs from the current one.
    """

    def __init__(self,
                 owner: nn.Module,
                 frozen_root: str,
                 check: bool = True) -> None:
        self.root = frozen_root
        self.check = check
        self.enabled = True
        self._loading_prefix = None
        # torch tags hooks with attributes, which bound methods cannot carry
        owner.register_state_dict_post_hook(partial(self._drop_frozen))
        owner.register_load_state_dict_pre_hook(
            partial(self._check_fingerprint))
        owner.register_load_state_dict_post_hook(
            partial(self._ignore_missing_frozen))
        self._owner_ref = [owner]  # avoid registering owner as a submodule

    @property
    def owner(self) -> nn.Module:
        return self._owner_ref[0]

    def frozen_names(self) -> List[str]:
        """Names (relative to the owner) of the frozen tensors."""
        root = getattr(self.owner, self.root)
        names = [
            f'{self.root}.{n}' for n, p in root.named_parameters()
            if not p.requires_grad
        ]
        names += [f'{self.root}.{n}' for n, _ in root.named_buffers()]
        return names

    def fingerprint(self) -> torch.Tensor:
        own = dict(self.owner.named_parameters())
        own.update(self.owner.named_buffers())
        return frozen_fingerprint([own[n] for n in self.frozen_names()])

    # hooks --------------------------------------------------------------
    def _drop_frozen(self, module, state_dict: Dict, prefix: str,
                     local_metadata) -> None:
        if not self.enabled:
            return
        for name in self.frozen_names():
            state_dict.pop(prefix + name, None)
        state_dict[prefix + FINGERPRINT_KEY] = self.fingerprint()

    def _check_fingerprint(self, module, state_dict: Dict, prefix: str,
                           *args) -> None:
        saved = state_dict.pop(prefix + FINGERPRINT_KEY, None)
        self._loading_prefix = None if saved is None else prefix
        if saved is None or not self.check:
            return
        current = self.fingerprint()
        if not torch.allclose(saved.double(), current, rtol=1e-6, atol=1e-6):
            raise RuntimeError(
                'this adapter-only checkpoint was trained on a different '
                f'frozen {self.root} (fingerprint {saved.tolist()} vs '
                f'{current.tolist()}): build the model from the same config '
                'with the same pretrained weights, or set '
                'check_frozen_fingerprint=False to load it anyway')

    def _ignore_missing_frozen(self, module, incompatible_keys) -> None:
        if self._loading_prefix is None:
            return
        frozen = {self._loading_prefix + n for n in self.frozen_names()}
        missing = incompatible_keys.missing_keys
        missing[:] = [k for k in missing if k not in frozen]
        self._loading_prefix = None
