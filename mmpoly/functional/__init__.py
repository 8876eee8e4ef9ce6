"""Metric kernels and edge thinning: plain functions of arrays and tensors.

The per-task statistics and metrics (:mod:`.segmentation`,
:mod:`.saliency`, :mod:`.normals`, :mod:`.depth`, :mod:`.edge`), the
boundary thinning they and the PASCAL edge labels use (:mod:`.thinning`)
and Δm (:mod:`.delta_m`). Tasks (:mod:`mmpoly.tasks`) and evaluation
(:mod:`mmpoly.evaluation`) both import from here, and this package imports
neither of them, so the two never import each other in a cycle
(``tests/test_import_structure.py`` checks it).
"""
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
