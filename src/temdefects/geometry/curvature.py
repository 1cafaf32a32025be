"""Length and curvature of sampled curves."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from temdefects.geometry._validate import as_points

__all__ = ["CurveStats", "curve_length", "curvature", "curve_stats"]


@dataclass(frozen=True)
class CurveStats:
    """Scalar shape descriptors of one curve; lengths in px, curvatures in 1/px.

    Attributes
    ----------
    length
        Polyline length through the points.
    mean_abs_curvature, max_abs_curvature
        Mean and maximum of ``abs(curvature(points))``; 0 for fewer than 3 points.
    chord
        Straight distance between the first and last point.
    tortuosity
        ``length / chord`` (1 for a straight line); NaN when ``chord`` is 0.
    """

    length: float
    mean_abs_curvature: float
    max_abs_curvature: float
    chord: float
    tortuosity: float


def curve_length(points: np.ndarray) -> float:
    """Length of the polyline through ordered points.

    Parameters
    ----------
    points
        ``(P, 2)`` ordered ``(x, y)`` points.

    Returns
    -------
    float
        Sum of the segment lengths in px; 0 for fewer than 2 points.

    Raises
    ------
    ValueError
        If ``points`` is not a finite ``(P, 2)`` array.
    """
    pts = as_points(points)
    if len(pts) < 2:
        return 0.0
    return float(np.hypot(*np.diff(pts, axis=0).T).sum())


def curvature(points: np.ndarray) -> np.ndarray:
    """Signed curvature at each point of an ordered curve.

    Parameters
    ----------
    points
        ``(P, 2)`` ordered ``(x, y)`` points, ideally equally spaced (as from
        :func:`~temdefects.geometry.spline.fit_spline`).

    Returns
    -------
    numpy.ndarray
        ``(P,)`` curvature in 1/px; all zeros for ``P < 3``.

    Raises
    ------
    ValueError
        If ``points`` is not a finite ``(P, 2)`` array.

    Notes
    -----
    Three-point finite differences in the form of the Menger curvature: at an
    inner point ``b`` with neighbours ``a`` and ``c``, ``kappa = 2 cross(b - a,
    c - b) / (|b - a| |c - b| |c - a|)``, the inverse radius of the circle
    through the three points. It is exact for points on a circle whatever their
    spacing; on a smooth curve sampled at spacing ``h`` the error is O(h).
    The two end points take the value of their inner neighbour. Repeated
    points give 0.

    The sign is that of the cross product in the ``(x, y)`` frame: positive
    where the curve turns from +x towards +y. Image rows grow downwards, so
    positive curvature turns clockwise as the image is displayed.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0, np.pi, 7)
    >>> np.round(curvature(np.column_stack([10 * np.cos(t), 10 * np.sin(t)])), 12)
    array([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    """
    pts = as_points(points)
    n = len(pts)
    if n < 3:
        return np.zeros(n)
    ab = pts[1:-1] - pts[:-2]
    bc = pts[2:] - pts[1:-1]
    ac = pts[2:] - pts[:-2]
    cross = ab[:, 0] * bc[:, 1] - ab[:, 1] * bc[:, 0]
    denom = np.hypot(*ab.T) * np.hypot(*bc.T) * np.hypot(*ac.T)
    inner = np.divide(2.0 * cross, denom, out=np.zeros(n - 2), where=denom > 0)
    return np.concatenate([inner[:1], inner, inner[-1:]])


def curve_stats(points: np.ndarray) -> CurveStats:
    """Length, curvature summary, chord and tortuosity of an ordered curve.

    Parameters
    ----------
    points
        ``(P, 2)`` ordered ``(x, y)`` points, ``P >= 1``.

    Returns
    -------
    CurveStats

    Raises
    ------
    ValueError
        If ``points`` is empty or not a finite ``(P, 2)`` array.
    """
    pts = as_points(points)
    if len(pts) == 0:
        raise ValueError("points is empty; a curve needs at least one point")
    length = curve_length(pts)
    kappa = np.abs(curvature(pts))
    chord = float(np.hypot(*(pts[-1] - pts[0])))
    return CurveStats(
        length=length,
        mean_abs_curvature=float(kappa.mean()) if len(pts) >= 3 else 0.0,
        max_abs_curvature=float(kappa.max()) if len(pts) >= 3 else 0.0,
        chord=chord,
        tortuosity=length / chord if chord > 0 else float("nan"),
    )
