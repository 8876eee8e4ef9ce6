from .delta_m import delta_m
from .depth import depth_metrics, depth_stats
from .edge import edge_metrics, edge_stats, edge_thresholds, match_edges
from .normals import histogram_median, normals_metrics, normals_stats
from .saliency import saliency_metrics, saliency_stats
from .segmentation import segmentation_metrics, segmentation_stats

__all__ = [
    'delta_m', 'normals_stats', 'normals_metrics', 'histogram_median',
    'saliency_stats', 'saliency_metrics', 'segmentation_stats',
    'segmentation_metrics', 'depth_stats', 'depth_metrics', 'edge_stats',
    'edge_metrics', 'edge_thresholds', 'match_edges'
]
