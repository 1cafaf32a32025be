"""Predicted masks to curves: the post-processing of Govind et al., sec. 6.4.

binarise -> Lee skeleton -> longest path -> smoothing spline -> ``n_points``
points equally spaced in arc length -> length and curvature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from temdefects.geometry._validate import as_binary_mask, as_min_size, as_n_points
from temdefects.geometry.curvature import CurveStats, curve_stats
from temdefects.geometry.path import graph_from_crop, path_indices
from temdefects.geometry.skeleton import component_crops, lee_skeleton, padded_crop, remove_small
from temdefects.geometry.spline import fit_spline

__all__ = ["CurveResult", "mask_to_curve", "mask_to_curves"]


@dataclass(frozen=True, eq=False)
class CurveResult:
    """One dislocation line extracted from a mask.

    Attributes
    ----------
    points
        ``(n_points, 2)`` float ``(x, y)`` points equally spaced along the spline.
    length
        Length of the sampled curve in px (equal to ``stats.length``).
    stats
        Curvature, chord and tortuosity of ``points``.
    n_skeleton_pixels
        Pixels of the skeleton component the curve was taken from (spurs included).
    path
        ``(P, 2)`` ordered skeleton pixel centres the spline was fitted to.

    Instances compare by identity (they hold arrays).
    """

    points: np.ndarray
    length: float
    stats: CurveStats
    n_skeleton_pixels: int
    path: np.ndarray


def _curve_from_crop(
    crop: np.ndarray, offset: tuple[int, int], n_points: int, smoothing: float | None
) -> CurveResult | None:
    skel = lee_skeleton(crop)
    rows, cols, adj = graph_from_crop(skel)
    idx, n_pixels = path_indices(adj, rows, cols)
    if idx.size == 0:
        return None
    path = np.column_stack([cols[idx] + offset[1], rows[idx] + offset[0]]).astype(np.float64)
    points = fit_spline(path, n_points=n_points, smoothing=smoothing)
    stats = curve_stats(points)
    return CurveResult(
        points=points, length=stats.length, stats=stats, n_skeleton_pixels=n_pixels, path=path
    )


def mask_to_curve(
    mask: np.ndarray,
    *,
    n_points: int = 50,
    min_size: int = 10,
    smoothing: float | None = None,
    threshold: float = 0.5,
) -> CurveResult | None:
    """The main dislocation line of one predicted mask.

    Parameters
    ----------
    mask
        ``(H, W)`` bool, integer (nonzero = on) or float mask (on where
        ``> threshold``).
    n_points
        Points on the output curve (50 in the paper).
    min_size
        8-connected objects of fewer pixels are discarded first.
    smoothing
        Spline smoothing, see :func:`~temdefects.geometry.spline.fit_spline`.
    threshold
        Binarisation threshold for float masks.

    Returns
    -------
    CurveResult or None
        The curve along the longest path of the skeleton component with the
        greatest length; ``None`` when no pixel survives ``min_size``.

    Raises
    ------
    ValueError
        If ``mask`` is not 2-D or an option is out of range.

    See Also
    --------
    mask_to_curves : one curve per connected component.
    """
    binary = as_binary_mask(mask, threshold=threshold)
    min_size = as_min_size(min_size)
    n_points = as_n_points(n_points)
    found = padded_crop(binary)
    if found is None:
        return None
    crop, offset = found
    crop = remove_small(crop, min_size)
    if not crop.any():
        return None
    return _curve_from_crop(crop, offset, n_points, smoothing)


def mask_to_curves(
    mask: np.ndarray,
    *,
    min_size: int = 10,
    n_points: int = 50,
    smoothing: float | None = None,
    threshold: float = 0.5,
) -> list[CurveResult]:
    """One curve per 8-connected component of a mask, largest component first.

    For masks that hold several disjoint dislocations. Parameters are those of
    :func:`mask_to_curve`; components of fewer than ``min_size`` pixels are
    skipped.

    Returns
    -------
    list of CurveResult
        In the order of :func:`~temdefects.geometry.skeleton.split_components`
        (decreasing pixel count); empty when nothing survives ``min_size``.

    Raises
    ------
    ValueError
        If ``mask`` is not 2-D or an option is out of range.
    """
    binary = as_binary_mask(mask, threshold=threshold)
    min_size = as_min_size(min_size)
    n_points = as_n_points(n_points)
    out = []
    for crop, offset in component_crops(binary, min_size):
        curve = _curve_from_crop(crop, offset, n_points, smoothing)
        if curve is not None:
            out.append(curve)
    return out
