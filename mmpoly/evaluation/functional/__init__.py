from .delta_m import PASCAL_SWIN_T_REFERENCES, delta_m
from .normals import histogram_median, normals_metrics, normals_stats
from .saliency import saliency_metrics, saliency_stats
from .segmentation import segmentation_metrics, segmentation_stats

__all__ = [
    'delta_m', 'PASCAL_SWIN_T_REFERENCES', 'normals_stats', 'normals_metrics',
    'histogram_median', 'saliency_stats', 'saliency_metrics',
    'segmentation_stats', 'segmentation_metrics'
]
