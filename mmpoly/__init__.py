"""mmpoly: parameter-efficient multi-task adaptation for dense vision tasks.

``import mmpoly`` registers every dataset, transform, model, metric and hook
of mmpoly into MMSegmentation's registries (configs use
``default_scope='mmseg'`` and ``custom_imports=dict(imports=['mmpoly'])``).
"""
from .version import __version__

from . import (datasets, engine, evaluation, models,  # noqa: E402,F401
               visualization)

__all__ = ['__version__']
