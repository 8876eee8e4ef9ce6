from .functional import *  # noqa: F401,F403
from .metrics import MultiTaskMetric

__all__ = ['MultiTaskMetric']
