"""Parameter-efficient tuning methods ('tuners') for a frozen backbone.

- ``base/``: :class:`BaseTuner` (attach, task passes, per-task or shared
  module sets, stages) and the bases of method families
  (:class:`HyperAdapterTuner`, :class:`StageHyperAdapterTuner`);
- ``layers/``: the modules methods are made of (adapters and their
  matrices, LoRA branches, hypernetworks, IA³ scales);
- ``sites/``: where terms enter an unmodified backbone, written against
  its family's description (:mod:`mmpoly.models.archs`);
- ``methods/``: the registered methods, one per file.
"""
from .base import BaseTuner, HyperAdapterTuner, StageHyperAdapterTuner
from .methods import (IA3, VPT, AdapterTuner, BitFit, Compacter, CompacterPP,
                      Hyperformer, HyperformerPP, LoRATuner, LowRankAdapter,
                      MTLoRA, PerTaskPass, PerTaskTensors, PHMAdapter,
                      Polyhistor, PolyhistorLite, RelativeBiasTuning,
                      SharedAdapter, VPTDeep, VPTShallow)

__all__ = [
    'BaseTuner', 'HyperAdapterTuner', 'StageHyperAdapterTuner', 'IA3', 'VPT',
    'AdapterTuner', 'BitFit', 'Compacter', 'CompacterPP', 'Hyperformer',
    'HyperformerPP', 'LoRATuner', 'LowRankAdapter', 'MTLoRA', 'PerTaskPass',
    'PerTaskTensors', 'PHMAdapter', 'Polyhistor', 'PolyhistorLite',
    'RelativeBiasTuning', 'SharedAdapter', 'VPTDeep', 'VPTShallow'
]
