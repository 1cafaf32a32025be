"""Geometry of segmented defects: skeleton -> ordered path -> spline -> curvature.

Post-processing of predicted dislocation masks after Govind et al. (2023),
sec. 6.4. Points are ``(P, 2)`` float arrays of ``(x, y) = (column, row)`` in
pixels, with pixel centres at integer coordinates.
"""

from temdefects.geometry.curvature import CurveStats, curvature, curve_length, curve_stats
from temdefects.geometry.curves import CurveResult, mask_to_curve, mask_to_curves
from temdefects.geometry.distances import curve_distance_matrix, mean_distance
from temdefects.geometry.joining import drop_covered, end_tangents, join_fragments
from temdefects.geometry.path import longest_path, skeleton_graph
from temdefects.geometry.skeleton import skeletonize_mask, split_components
from temdefects.geometry.spline import fit_spline, resample_polyline
from temdefects.geometry.tracing import skeleton_branches, trace_lines

__all__ = [
    "CurveResult",
    "CurveStats",
    "curvature",
    "curve_distance_matrix",
    "curve_length",
    "curve_stats",
    "drop_covered",
    "end_tangents",
    "fit_spline",
    "join_fragments",
    "longest_path",
    "mask_to_curve",
    "mask_to_curves",
    "mean_distance",
    "resample_polyline",
    "skeleton_branches",
    "skeleton_graph",
    "skeletonize_mask",
    "split_components",
    "trace_lines",
]
