"""Joining curve fragments that continue each other into one curve.

A network that predicts one mask per dislocation often cuts a long line into
pieces held by different masks (the shipped CPU model does: a 512 x 512 m2
image with 12 dislocations gives about 50 pieces). Two pieces continue each
other when an end of one lies within ``max_gap`` px of an end of the other,
the two ends point at each other (outward tangents anti-parallel within
``max_angle`` degrees) and the gap between them runs along both tangents.
Pairs of ends are joined greedily, best first (gap plus bend), each end at
most once and never into a cycle, so every result is one open chain of
pieces.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.spatial import cKDTree

from temdefects.geometry._validate import as_points

__all__ = ["drop_covered", "end_tangents", "join_fragments"]


def end_tangents(points: np.ndarray, *, reach: float = 6.0) -> tuple[np.ndarray, np.ndarray]:
    """Unit outward tangents at the start and at the end of an ordered curve.

    Each is the direction from the point ``reach`` px inside the curve (along
    its arc) to the end point, which averages out pixel noise. A curve of zero
    length gives zero vectors.
    """
    pts = as_points(points)
    seg = np.hypot(*np.diff(pts, axis=0).T)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    total = arc[-1]
    if total == 0.0:
        return np.zeros(2), np.zeros(2)
    r = min(reach, total)
    inner_start = np.array([np.interp(r, arc, pts[:, k]) for k in range(2)])
    inner_end = np.array([np.interp(total - r, arc, pts[:, k]) for k in range(2)])
    out = []
    for end, inner in ((pts[0], inner_start), (pts[-1], inner_end)):
        d = end - inner
        n = float(np.hypot(*d))
        out.append(d / n if n > 0 else np.zeros(2))
    return out[0], out[1]


def _angles(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Row-wise angles in degrees between (K, 2) vectors (180 where either is zero)."""
    nu, nv = np.hypot(u[:, 0], u[:, 1]), np.hypot(v[:, 0], v[:, 1])
    norm = nu * nv
    dot = u[:, 0] * v[:, 0] + u[:, 1] * v[:, 1]
    cos = np.clip(dot / np.where(norm > 0, norm, 1.0), -1.0, 1.0)
    return np.where(norm > 0, np.degrees(np.arccos(cos)), 180.0)


def _candidate_links(
    curves: list[np.ndarray], max_gap: float, max_angle: float
) -> list[tuple[float, int, int, int, int]]:
    """``(cost, i, end_i, j, end_j)`` of every joinable pair of ends (end 0 start, 1 end).

    All pairs within ``max_gap`` are scored at once (a traced frame has
    thousands of them): cost = gap + 0.1 (bend + along), where the bend is
    the angle between one outward tangent and the reversed other (the ends
    must point at each other) and ``along`` the larger angle between the
    gap and either tangent (the gap must continue both; 0 for gaps <= 1 px).
    """
    tangents = [end_tangents(c) for c in curves]
    curve = np.repeat(np.arange(len(curves)), 2)
    end = np.tile([0, 1], len(curves))
    pos = np.array([p for c in curves for p in (c[0], c[-1])], float).reshape(-1, 2)
    tan = np.array([t for pair in tangents for t in pair], float).reshape(-1, 2)
    # A KD-tree finds the close pairs without an (ends x ends) matrix (a noisy
    # 2048 px frame can hold thousands of fragments).
    pairs = cKDTree(pos).query_pairs(max_gap, output_type="ndarray")  # (K, 2), K may be 0
    a, b = pairs[:, 0], pairs[:, 1]
    gap = pos[b] - pos[a]
    dist = np.hypot(gap[:, 0], gap[:, 1])
    keep = (curve[a] != curve[b]) & (dist <= max_gap)
    a, b, gap, dist = a[keep], b[keep], gap[keep], dist[keep]
    bend = _angles(tan[a], -tan[b])
    along = np.maximum(_angles(tan[a], gap), _angles(-tan[b], gap))
    along = np.where(dist > 1.0, along, 0.0)
    ok = (bend <= max_angle) & (along <= max_angle)
    cost = dist + 0.1 * (bend + along)
    return sorted(
        zip(
            cost[ok].tolist(),
            curve[a[ok]].tolist(),
            end[a[ok]].tolist(),
            curve[b[ok]].tolist(),
            end[b[ok]].tolist(),
            strict=True,
        )
    )


def join_fragments(
    curves: Sequence[np.ndarray], *, max_gap: float = 10.0, max_angle: float = 30.0
) -> list[list[tuple[int, bool]]]:
    """Chains of fragments that continue each other.

    Parameters
    ----------
    curves
        Ordered ``(P, 2)`` ``(x, y)`` point arrays, one per fragment.
    max_gap
        Largest distance in px between the two joined ends.
    max_angle
        Largest bend in degrees between the ends' tangents, and between each
        tangent and the gap.

    Returns
    -------
    list of chains
        Each chain lists ``(index, reversed)`` of its fragments in order along
        the joined curve; a fragment joined to nothing is a chain of one. Every
        index appears exactly once.

    Examples
    --------
    >>> a = np.array([[0.0, 0.0], [10.0, 0.0]])
    >>> b = np.array([[25.0, 0.0], [14.0, 0.0]])  # continues a, drawn backwards
    >>> c = np.array([[12.0, 5.0], [12.0, 20.0]])  # at right angles: separate
    >>> join_fragments([a, b, c])
    [[(0, False), (1, True)], [(2, False)]]
    """
    if max_gap < 0 or not 0 <= max_angle <= 180:
        raise ValueError(
            "join_fragments: need max_gap >= 0 and 0 <= max_angle <= 180, "
            f"got {max_gap}, {max_angle}"
        )
    pts = [as_points(c, name=f"curves[{k}]") for k, c in enumerate(curves)]
    n = len(pts)
    parent = list(range(n))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    partner: dict[tuple[int, int], tuple[int, int]] = {}
    for _, i, ei, j, ej in _candidate_links(pts, max_gap, max_angle):
        if (i, ei) in partner or (j, ej) in partner or root(i) == root(j):
            continue
        partner[(i, ei)], partner[(j, ej)] = (j, ej), (i, ei)
        parent[root(i)] = root(j)

    chains, seen = [], set()
    for start in range(n):
        if start in seen:
            continue
        # walk to one free end of this chain, then collect forwards from it
        k, came_in = start, 0  # enter at the start, so the walk goes backwards first
        while (k, came_in) in partner:
            j, ej = partner[(k, came_in)]
            if j == start:  # pragma: no cover - cycles are refused above
                break
            k, came_in = j, 1 - ej
        chain, k, entry = [], k, came_in
        while True:
            seen.add(k)
            chain.append((k, entry == 1))
            exit_end = 1 - entry
            if (k, exit_end) not in partner:
                break
            k, entry = partner[(k, exit_end)]
        chains.append(chain)
    return sorted(chains, key=lambda ch: min(k for k, _ in ch))


def drop_covered(
    curves: Sequence[np.ndarray], *, tolerance: float = 3.0, min_fraction: float = 0.7
) -> list[int]:
    """Indices of the curves to keep when shorter copies of longer curves are dropped.

    Curves are taken longest first; a curve is dropped when at least
    ``min_fraction`` of its points lie within ``tolerance`` px of the curves
    kept so far (a partial duplicate of a dislocation already found: a network
    mask holding part of a line that another mask holds whole).

    Examples
    --------
    >>> x = np.linspace(0.0, 40.0, 41)
    >>> whole = np.column_stack([x, np.zeros_like(x)])
    >>> part = whole[5:20] + [0.0, 1.5]  # a piece of it, 1.5 px aside
    >>> other = np.column_stack([x, np.full_like(x, 12.0)])
    >>> drop_covered([part, whole, other])
    [1, 2]
    """
    from temdefects.geometry.spline import resample_polyline

    if tolerance <= 0 or not 0 < min_fraction <= 1:
        raise ValueError(
            f"drop_covered: need tolerance > 0 and 0 < min_fraction <= 1, "
            f"got {tolerance}, {min_fraction}"
        )
    pts = [as_points(c, name=f"curves[{k}]") for k, c in enumerate(curves)]
    lengths = [float(np.hypot(*np.diff(p, axis=0).T).sum()) if len(p) > 1 else 0.0 for p in pts]
    kept: list[int] = []
    trees: list = []  # one per kept curve: built once, unlike one tree of all kept points
    for k in sorted(range(len(pts)), key=lambda i: (-lengths[i], i)):
        near = np.zeros(len(pts[k]), bool)
        for tree in trees:
            d, _ = tree.query(pts[k], distance_upper_bound=tolerance + 0.25)
            near |= d <= tolerance + 0.25
        if trees and near.mean() >= min_fraction:
            continue
        kept.append(k)
        # samples 0.5 px apart: the distance to the nearest sample exceeds the
        # distance to the curve by at most 0.25 px (the slack above)
        n = max(2, int(np.ceil(lengths[k] / 0.5)) + 1)
        trees.append(cKDTree(resample_polyline(pts[k], n_points=n) if len(pts[k]) > 1 else pts[k]))
    return sorted(kept)
