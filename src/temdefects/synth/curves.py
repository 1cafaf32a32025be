"""Plane curves as (P, 2) arrays of ``x`` (column), ``y`` (row) coordinates in pixels.

Pixel ``(row r, column c)`` has its centre at ``x = c, y = r``.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d


def _check_points(points: np.ndarray, name: str = "points") -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"{name}: expected shape (P, 2), got {pts.shape}")
    return pts


def polyline_length(points: np.ndarray) -> float:
    """Sum of segment lengths."""
    pts = _check_points(points)
    if len(pts) < 2:
        return 0.0
    return float(np.hypot(*np.diff(pts, axis=0).T).sum())


def resample(points: np.ndarray, spacing: float) -> np.ndarray:
    """Points evenly spaced in arc length (about ``spacing`` apart), ends kept."""
    pts = _check_points(points)
    if spacing <= 0:
        raise ValueError(f"resample: spacing must be > 0, got {spacing}")
    step = pts[1:] - pts[:-1]
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(step[:, 0], step[:, 1]))])
    if len(pts) < 2 or arc[-1] == 0:
        return pts[:1].copy()
    n = max(2, int(np.ceil(arc[-1] / spacing)) + 1)
    t = np.linspace(0.0, arc[-1], n)
    out = np.empty((n, 2))
    out[:, 0] = np.interp(t, arc, pts[:, 0])
    out[:, 1] = np.interp(t, arc, pts[:, 1])
    return out


def natural_cubic(t: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Natural cubic spline through ``(t, y)`` (y: (K, D)), evaluated at ``at``.

    Equals ``scipy.interpolate.CubicSpline(t, y, bc_type="natural")(at)`` to
    1e-9 (tests/synth/test_curves.py) and takes 75 us instead of 162 us for the few
    support points of a dislocation (SciPy's input checking dominates there).
    """
    k = len(t)
    h = t[1:] - t[:-1]
    slope = (y[1:] - y[:-1]) / h[:, None]
    m = np.zeros_like(y)  # second derivatives; natural ends: m[0] = m[-1] = 0
    if k > 2:
        a = np.zeros((k - 2, k - 2))
        i = np.arange(k - 2)
        a[i, i] = 2.0 * (h[:-1] + h[1:])
        a[i[1:], i[:-1]] = h[1:-1]
        a[i[:-1], i[1:]] = h[1:-1]
        m[1:-1] = np.linalg.solve(a, 6.0 * (slope[1:] - slope[:-1]))
    seg = np.clip(np.searchsorted(t, at, side="right") - 1, 0, k - 2)
    # The terms of each interval are computed once and then gathered per point
    # (the same operations in the same order as evaluating them per point).
    m0, m1 = m[:-1], m[1:]
    b = slope - h[:, None] * (2.0 * m0 + m1) / 6.0
    u = (at - t[seg])[:, None]
    inner = u * (m1 - m0)[seg]
    inner /= (6.0 * h)[seg][:, None]
    inner += (m0 / 2.0)[seg]
    inner *= u
    inner += b[seg]
    inner *= u
    inner += y[seg]
    return inner


def spline_through(support: np.ndarray, *, spacing: float = 0.5) -> np.ndarray:
    """Dense points on the cubic spline through ``support`` (natural end conditions).

    The spline is parametrised by cumulative chord length; two support points
    give a straight segment. Consecutive points are at most about ``spacing`` px
    apart (the spline is sampled at ``0.9 * spacing`` steps of its parameter,
    which never exceeds the arc length by much for these smooth lines), not
    exactly evenly: callers that need even spacing use :func:`resample`.
    """
    pts = _check_points(support, "support")
    step = pts[1:] - pts[:-1]
    seg = np.hypot(step[:, 0], step[:, 1])
    distinct = seg > 1e-9
    if not distinct.all():
        pts = pts[np.concatenate([[True], distinct])]
        step = pts[1:] - pts[:-1]
        seg = np.hypot(step[:, 0], step[:, 1])
    if len(pts) < 2:
        raise ValueError("spline_through: need at least two distinct support points")
    if len(pts) == 2:
        return resample(pts, spacing)
    t = np.concatenate([[0.0], np.cumsum(seg)])
    at = np.linspace(0.0, t[-1], max(8, int(np.ceil(t[-1] / (0.9 * spacing))) + 1))
    return natural_cubic(t, pts, at)


def normals(points: np.ndarray) -> np.ndarray:
    """Unit normals (tangent rotated by +90 degrees) of a dense polyline."""
    pts = _check_points(points)
    if len(pts) < 3:
        tangent = np.gradient(pts, axis=0)
    else:  # np.gradient's own formulas (central inside, one-sided at the ends), 2x faster
        tangent = np.empty_like(pts)
        tangent[1:-1] = (pts[2:] - pts[:-2]) / 2.0
        tangent[0] = pts[1] - pts[0]
        tangent[-1] = pts[-1] - pts[-2]
    norm = np.hypot(tangent[:, 0], tangent[:, 1])
    tangent /= np.where(norm > 0, norm, 1.0)[:, None]
    out = np.empty_like(tangent)
    out[:, 0] = -tangent[:, 1]
    out[:, 1] = tangent[:, 0]
    return out


def add_roughness(
    points: np.ndarray, amplitude: float, length: float, seed: int, *, spacing: float
) -> np.ndarray:
    """Displace an evenly spaced polyline along its normals by smooth random noise.

    The displacement is Gaussian-filtered white noise with correlation length
    ``length`` px, scaled to standard deviation ``amplitude`` px and tapered to
    zero at both ends, so the line still ends where it did.
    """
    pts = _check_points(points)
    if amplitude <= 0 or len(pts) < 4:
        return pts
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(len(pts))
    smooth = gaussian_filter1d(white, sigma=max(length / spacing, 0.5), mode="reflect")
    std = smooth.std()
    if std == 0:
        return pts
    disp = smooth / std * amplitude
    taper_n = max(1, min(len(pts) // 4, int(round(length / spacing))))
    ramp = np.ones(len(pts))
    ramp[:taper_n] = np.linspace(0.0, 1.0, taper_n)
    ramp[-taper_n:] = np.minimum(ramp[-taper_n:], np.linspace(1.0, 0.0, taper_n))
    return pts + normals(pts) * (disp * ramp)[:, None]


def inside(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Boolean mask of points inside the image area ``[-0.5, W-0.5] x [-0.5, H-0.5]``."""
    pts = _check_points(points)
    h, w = shape
    return (
        (pts[:, 0] >= -0.5) & (pts[:, 0] <= w - 0.5) & (pts[:, 1] >= -0.5) & (pts[:, 1] <= h - 0.5)
    )


def visible_segments(points: np.ndarray, shape: tuple[int, int]) -> list[np.ndarray]:
    """Runs of consecutive points inside the image (each with >= 2 points)."""
    mask = inside(points, shape)
    if mask.all():  # the usual case, without the run search
        return [points[:]] if len(mask) >= 2 else []
    if not mask.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [points[a:b] for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a >= 2]


def visible_length(points: np.ndarray, shape: tuple[int, int]) -> float:
    """Length of the part of a dense polyline inside the image."""
    return sum(polyline_length(s) for s in visible_segments(points, shape))


def line_through_image(point: np.ndarray, angle_deg: float, shape: tuple[int, int]) -> list:
    """Two far points ``[x0, y0, x1, y1]`` of the infinite line; drawing clips it."""
    h, w = shape
    reach = 2.0 * float(np.hypot(h, w))
    u = np.array([np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))])
    a, b = np.asarray(point, float) - reach * u, np.asarray(point, float) + reach * u
    return [float(a[0]), float(a[1]), float(b[0]), float(b[1])]
