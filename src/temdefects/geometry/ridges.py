"""Lines traced along the ridges of a probability map, with momentum.

An alternative to the skeleton (:mod:`temdefects.geometry.tracing`) for maps
where lines cross and touch. A skeleton turns every crossing into junctions
and every touching pair into one branch; a tracker that walks along the
ridge, keeps its heading through a crossing and stops where the ridge turns
sharply or fades, keeps one line per dislocation there.

1. The map is smoothed (Gaussian, 1 px) and its Hessian (``sigma`` px) gives
   the ridge direction at every pixel (the eigenvector of the larger
   eigenvalue) and the curvature across it (the smaller one).
2. Seeds are the pixels at or above ``threshold`` with negative curvature
   across the ridge, the most probable first.
3. From a seed the tracker steps 1 px at a time in both directions. Its new
   heading is ``momentum`` times the old one plus the rest of the local ridge
   direction; after each step it moves half-way to the most probable point
   within ``recentre`` px across the line. It stops where the heading has
   turned by more than ``max_turn`` degrees over the last ``window`` steps,
   where the map stays under ``low`` for more than ``max_gap`` steps or at the
   image border; trailing points under ``threshold`` are dropped. Where lines
   cross, the ridge direction is weighted by the Hessian's coherence, so the
   tracker keeps its heading through the crossing.
4. Pixels within about ``claim`` px of every traced path are claimed, so later
   seeds there start nothing. A path with ``duplicate`` or more of its
   points on pixels claimed before (a re-trace of a line found already) or
   shorter than ``min_length`` px is dropped.

Points are ``(x, y)`` = (column, row) floats, as everywhere in
:mod:`temdefects.geometry`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

__all__ = ["ridge_fields", "trace_ridges"]


def ridge_fields(prob: np.ndarray, sigma: float = 1.5) -> tuple[np.ndarray, ...]:
    """Smoothed map, ridge direction ``(tx, ty)`` and curvature across the ridge.

    ``(tx, ty)`` is the unit direction along the ridge times the coherence of
    the Hessian (its eigenvalue difference over their summed magnitudes): 1 on
    a clean line, near 0 where lines cross, so that a tracker there keeps its
    own heading.

    Examples
    --------
    >>> p = np.zeros((21, 21), np.float32); p[10] = 1.0
    >>> smooth, tx, ty, across = ridge_fields(p)
    >>> bool(abs(tx[10, 10]) > 0.9), round(float(ty[10, 10]), 3), bool(across[10, 10] < 0)
    (True, 0.0, True)
    """
    prob = np.asarray(prob, np.float32)
    smooth = ndi.gaussian_filter(prob, 1.0)
    hyy = ndi.gaussian_filter(prob, sigma, order=(2, 0))
    hxx = ndi.gaussian_filter(prob, sigma, order=(0, 2))
    hxy = ndi.gaussian_filter(prob, sigma, order=(1, 1))
    spread = np.sqrt((hxx - hyy) ** 2 + 4.0 * hxy**2)
    across = 0.5 * (hxx + hyy - spread)
    # eigenvectors of `across` in (x, y): (hxy, across - hxx) and (across - hyy, hxy);
    # take the longer of the two (one of them vanishes for lines along an axis)
    ax, ay = hxy, across - hxx
    bx, by = across - hyy, hxy
    first = np.hypot(ax, ay) >= np.hypot(bx, by)
    vx, vy = np.where(first, ax, bx), np.where(first, ay, by)
    norm = np.hypot(vx, vy) + 1e-12
    # coherence in [0, 1]: 1 on a clean ridge, near 0 where two lines cross (blob-like)
    along = 0.5 * (hxx + hyy + spread)
    coherence = (along - across) / (np.abs(along) + np.abs(across) + 1e-12)
    tx, ty = -vy / norm * coherence, vx / norm * coherence
    return smooth, tx.astype(np.float32), ty.astype(np.float32), across


def _sample(a: np.ndarray, y: float, x: float) -> float:
    """Bilinear value at ``(y, x)``; -1 outside the image."""
    h, w = a.shape
    if not (0.0 <= y <= h - 1 and 0.0 <= x <= w - 1):
        return -1.0
    y0, x0 = int(y), int(x)
    y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
    fy, fx = y - y0, x - x0
    return float(
        a[y0, x0] * (1 - fy) * (1 - fx)
        + a[y0, x1] * (1 - fy) * fx
        + a[y1, x0] * fy * (1 - fx)
        + a[y1, x1] * fy * fx
    )


def _walk(fields, y, x, dx, dy, *, threshold, low, momentum, max_turn, window, max_gap, recentre):
    """Points from ``(x, y)`` heading ``(dx, dy)`` until the line turns, fades or leaves."""
    smooth, tx_map, ty_map, _ = fields
    h, w = smooth.shape
    cos_limit = math.cos(math.radians(max_turn))
    offsets = (-recentre, -recentre / 2, recentre / 2, recentre)
    points, headings, gap = [], [], 0
    for _ in range(4 * (h + w)):
        ix, iy = int(round(x)), int(round(y))
        if not (0 <= ix < w and 0 <= iy < h):
            break
        tx, ty = float(tx_map[iy, ix]), float(ty_map[iy, ix])
        if tx * dx + ty * dy < 0:
            tx, ty = -tx, -ty
        trust = (1 - momentum) * math.hypot(tx, ty)  # the local direction, by its coherence
        nx, ny = (1 - trust) * dx + (1 - momentum) * tx, (1 - trust) * dy + (1 - momentum) * ty
        norm = math.hypot(nx, ny) + 1e-12
        nx, ny = nx / norm, ny / norm
        x, y = x + nx, y + ny
        best, shift = _sample(smooth, y, x), 0.0
        for o in offsets:  # the most probable point across the line
            v = _sample(smooth, y + o * nx, x - o * ny)
            if v > best + 1e-6:
                best, shift = v, o
        x, y = x - 0.5 * shift * ny, y + 0.5 * shift * nx
        headings.append((nx, ny))
        if len(headings) > window:
            ox, oy = headings[-window - 1]
            if ox * nx + oy * ny < cos_limit:
                break
        dx, dy = nx, ny
        gap = gap + 1 if best < low else 0
        if gap > max_gap:
            break
        points.append((x, y, best))
    while points and points[-1][2] < threshold:  # the line ends where the map crosses it
        points.pop()
    return [(px, py) for px, py, _ in points]


def trace_ridges(
    prob: np.ndarray,
    *,
    threshold: float = 0.5,
    low: float | None = None,
    momentum: float = 0.6,
    max_turn: float = 35.0,
    window: int = 8,
    max_gap: int = 6,
    recentre: float = 1.5,
    claim: float = 1.5,
    duplicate: float = 0.7,
    min_length: float = 5.0,
    sigma: float = 1.5,
) -> list[np.ndarray]:
    """Lines of a probability map traced along its ridges (see the module docstring).

    Parameters
    ----------
    prob
        (H, W) line probabilities in [0, 1].
    threshold
        Smallest probability of a seed.
    low
        The map counts as faded under this; default ``0.6 * threshold``.
    momentum
        Share of the old heading in the new one, in [0, 1).
    max_turn, window
        A track stops when its heading turns by more than ``max_turn`` degrees
        over ``window`` steps of 1 px.
    max_gap
        Steps under ``low`` that a track bridges.
    recentre
        Reach across the line of the re-centring step, px.
    claim, duplicate
        Claim radius around traced paths, px, and the share of already claimed
        points that makes a path a duplicate.
    min_length
        Shortest path kept, px.
    sigma
        Scale of the Hessian, px.

    Returns
    -------
    list of (P, 2) float arrays of ``(x, y)`` points, in the order traced
    (most probable seed first).

    Examples
    --------
    Two lines 3 px wide that cross at right angles are two paths:

    >>> p = np.zeros((60, 80), np.float32); p[19:22, 5:75] = 1.0; p[5:55, 39:42] = 1.0
    >>> sorted(tuple(np.ptp(q, axis=0).round().astype(int).tolist()) for q in trace_ridges(p))
    [(0, 49), (69, 0)]
    """
    prob = np.asarray(prob, np.float32)
    if prob.ndim != 2:
        raise ValueError(f"trace_ridges: expected a 2D map, got shape {prob.shape}")
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"trace_ridges: threshold must be in (0, 1), got {threshold}")
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"trace_ridges: momentum must be in [0, 1), got {momentum}")
    low = 0.6 * threshold if low is None else low
    fields = ridge_fields(prob, sigma)
    smooth, tx_map, ty_map, across = fields
    rows, cols = np.nonzero((smooth >= threshold) & (across < 0))
    order = np.argsort(-smooth[rows, cols], kind="stable")
    claimed = np.zeros(prob.shape, bool)
    h, w = prob.shape
    r = int(math.ceil(claim))
    walk = dict(
        threshold=threshold,
        low=low,
        momentum=momentum,
        max_turn=max_turn,
        window=window,
        max_gap=max_gap,
        recentre=recentre,
    )
    paths = []
    for y0, x0 in zip(rows[order], cols[order], strict=True):
        if claimed[y0, x0]:
            continue
        dx, dy = float(tx_map[y0, x0]), float(ty_map[y0, x0])
        ahead = _walk(fields, float(y0), float(x0), dx, dy, **walk)
        behind = _walk(fields, float(y0), float(x0), -dx, -dy, **walk)
        pts = np.array([*behind[::-1], (float(x0), float(y0)), *ahead])
        ix = np.clip(np.round(pts[:, 0]).astype(np.intp), 0, w - 1)
        iy = np.clip(np.round(pts[:, 1]).astype(np.intp), 0, h - 1)
        seen = float(claimed[iy, ix].mean())
        for yy, xx in zip(iy, ix, strict=True):
            claimed[max(0, yy - r + 1) : yy + r, max(0, xx - r + 1) : xx + r] = True
        length = float(np.hypot(*np.diff(pts, axis=0).T).sum()) if len(pts) > 1 else 0.0
        if len(pts) > 1 and length >= min_length and seen < duplicate:
            paths.append(pts)
    return paths
