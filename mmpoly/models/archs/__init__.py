"""Backbone families, described once each for the tuners.

``ARCHS`` maps a backbone class to its family's describer, which reads an
:class:`ArchDescription` (stages, blocks, sub-layers, named Linear layers,
output norms, stochastic layers, optional capabilities) from a built
backbone. Sites and methods are written against the description only.
Described: Swin (mmpretrain and MMSeg), Swin-V2, ConvNeXt, plain ViT.
"""
from .common import OPENMMLAB_STOCHASTIC, mlp_linears, pre_norm_sublayers
from .description import (ArchDescription, BlockInfo, OutputNorm, SubLayer,
                          UnsupportedBackboneError)
from .registry import ARCHS, ArchRegistry, describe_backbone
from . import convnext, swin, vit  # noqa: F401,E402 (register the families)

__all__ = [
    'OPENMMLAB_STOCHASTIC', 'mlp_linears', 'pre_norm_sublayers',
    'ArchDescription', 'BlockInfo', 'OutputNorm', 'SubLayer',
    'UnsupportedBackboneError', 'ARCHS', 'ArchRegistry', 'describe_backbone'
]
