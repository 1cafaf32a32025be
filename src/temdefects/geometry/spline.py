"""Ordered pixel paths to smooth curves sampled equally in arc length."""

from __future__ import annotations

import numpy as np
from scipy.interpolate import BSpline, splprep

from temdefects.geometry._validate import as_n_points, as_points

__all__ = ["fit_spline", "resample_polyline", "DEFAULT_SMOOTHING_PER_POINT"]

#: Default spline smoothing per input point, in px^2 (see :func:`fit_spline`).
DEFAULT_SMOOTHING_PER_POINT = 0.25

# Dense evaluations per input point when measuring the spline's arc length.
_DENSE_PER_POINT = 4
_DENSE_MIN = 400


def _arc_length(points: np.ndarray) -> np.ndarray:
    """Cumulative length along a polyline, starting at 0."""
    seg = np.hypot(*np.diff(points, axis=0).T)
    return np.concatenate([[0.0], np.cumsum(seg)])


def resample_polyline(points: np.ndarray, *, n_points: int = 50) -> np.ndarray:
    """``n_points`` points equally spaced in arc length along a polyline.

    Parameters
    ----------
    points
        ``(P, 2)`` ordered ``(x, y)`` vertices, ``P >= 1``.
    n_points
        Number of output points, at least 2; the first and last are the ends.

    Returns
    -------
    numpy.ndarray
        ``(n_points, 2)`` float points by linear interpolation between vertices;
        a zero-length polyline gives its one point repeated.

    Raises
    ------
    ValueError
        If ``points`` is empty or not ``(P, 2)``, or ``n_points < 2``.
    """
    pts = as_points(points)
    n_points = as_n_points(n_points)
    if len(pts) == 0:
        raise ValueError("points is empty; a curve needs at least one point")
    s = _arc_length(pts)
    if s[-1] == 0.0:
        return np.repeat(pts[:1], n_points, axis=0)
    target = np.linspace(0.0, s[-1], n_points)
    return np.column_stack([np.interp(target, s, pts[:, 0]), np.interp(target, s, pts[:, 1])])


def fit_spline(
    points: np.ndarray, *, n_points: int = 50, smoothing: float | None = None
) -> np.ndarray:
    """Smoothing cubic spline through an ordered path, sampled equally in arc length.

    Parameters
    ----------
    points
        ``(P, 2)`` ordered ``(x, y)`` points, e.g. from
        :func:`~temdefects.geometry.path.longest_path`.
    n_points
        Number of output points (50 in Govind et al., sec. 6.4), at least 2.
    smoothing
        FITPACK smoothing ``s``: the largest allowed sum over the input points
        of squared distances to the curve, in px^2. ``None`` uses
        ``DEFAULT_SMOOTHING_PER_POINT * P`` (see Notes); 0 interpolates.

    Returns
    -------
    numpy.ndarray
        ``(n_points, 2)`` float points along the fitted curve, first and last
        at its ends, consecutive points equally far apart along the curve.

    Raises
    ------
    ValueError
        If ``points`` is empty or not ``(P, 2)``, ``n_points < 2``, or
        ``smoothing`` is negative.

    Notes
    -----
    The spline is ``scipy.interpolate.splprep`` with ``k=3`` parametrised by
    chord length. The default ``s = 0.25 * P`` allows an RMS deviation of
    0.5 px from the skeleton pixels. Rounding to pixel centres alone leaves a
    mean squared error of 1/12 px^2 across the line, and ``s`` below that makes
    FITPACK chase the pixel staircase (curvature several times too large), so
    the default keeps a margin of 3 for ragged mask outlines. On clean masks
    a smaller ``s`` (about ``0.12 * P``) follows wiggly lines more closely;
    larger values flatten them. The curve is then evaluated densely, its
    cumulative length measured, and the parameters at equal arc-length steps
    found by interpolation.

    Consecutive duplicate points are dropped first. With fewer than 4
    distinct points a cubic is not determined and the path is resampled
    linearly instead (:func:`resample_polyline`); a single distinct point is
    repeated ``n_points`` times.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(100.0)
    >>> curve = fit_spline(np.column_stack([x, np.zeros_like(x)]), n_points=5)
    >>> np.round(curve[:, 0], 6)
    array([ 0.  , 24.75, 49.5 , 74.25, 99.  ])
    """
    pts = as_points(points)
    n_points = as_n_points(n_points)
    if smoothing is not None and not smoothing >= 0:
        raise ValueError(f"smoothing must be >= 0 or None, got {smoothing!r}")
    if len(pts) == 0:
        raise ValueError("points is empty; a curve needs at least one point")
    keep = np.concatenate([[True], np.any(np.diff(pts, axis=0) != 0, axis=1)])
    pts = pts[keep]
    if len(pts) < 4:
        return resample_polyline(pts, n_points=n_points)
    u = _arc_length(pts)
    s = DEFAULT_SMOOTHING_PER_POINT * len(pts) if smoothing is None else float(smoothing)
    (tck, _), _, ier, msg = splprep(pts.T, u=u, k=3, s=s, full_output=True, quiet=True)
    # ier 1-3 still return a usable spline (FITPACK's own warnings); larger is bad input.
    if ier > 3:
        raise RuntimeError(f"spline fit failed (FITPACK ier={ier}): {msg}")
    t, c, k = tck
    curve = BSpline(t, np.column_stack(c), k, extrapolate=False)
    dense_u = np.linspace(u[0], u[-1], max(_DENSE_PER_POINT * len(pts), _DENSE_MIN))
    s_dense = _arc_length(curve(dense_u))
    target = np.linspace(0.0, s_dense[-1], n_points)
    return curve(np.interp(target, s_dense, dense_u))
