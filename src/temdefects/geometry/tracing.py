"""Every line of a binary line map as one ordered curve (skeleton tracing).

A segmentation of all dislocations at once (the union of a network's masks)
holds crossing and touching lines. Tracing separates them:

1. Lee skeleton of the mask (small specks removed first).
2. Junctions: skeleton pixels with three or more neighbours in the skeleton
   graph (:func:`skeleton_graph`, where staircase corners are not junctions), grown
   by ``junction_radius`` px along the skeleton. Removing them cuts the
   skeleton into branches that run from one junction (or free end) to the next.
3. Each branch, a simple path once the junctions are gone, is walked from one
   end to the other into an ordered pixel path; branches shorter than
   ``min_branch`` px (spurs of the thinning) are dropped.
4. Branches that continue each other across a junction or a gap (ends within
   ``max_gap`` px, pointing at each other within ``max_angle`` degrees) are
   chained with :func:`join_fragments`: at a crossing the straight
   continuations pair up, at a T the bar stays whole, and a line broken by
   a faint stretch is bridged.
5. Optionally (``max_turn`` < 180), each chain is cut where it turns by more
   than ``max_turn`` degrees within ``CORNER_WINDOW`` px
   (:func:`split_at_corners`): a dislocation line bends smoothly, while a
   path that passes from one line onto another (an arc ending on a slip
   trace whose skeletons merge without a junction) makes a corner.

Touching lines that run side by side for a while share one skeleton there;
one of them keeps that stretch and the other is cut (a limitation of any
method that sees only the union).
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.sparse.csgraph import connected_components

from temdefects.geometry._validate import as_binary_mask, as_min_size
from temdefects.geometry.joining import join_fragments
from temdefects.geometry.path import skeleton_graph
from temdefects.geometry.skeleton import skeletonize_mask

__all__ = ["CORNER_WINDOW", "skeleton_branches", "split_at_corners", "trace_lines"]

#: Path steps (about px) on each side of a point over which its turn is measured.
CORNER_WINDOW = 10


def skeleton_branches(
    skeleton: np.ndarray, *, junction_radius: int = 2, min_branch: int = 4
) -> list[np.ndarray]:
    """Ordered pixel paths of a skeleton cut at its junctions.

    Parameters
    ----------
    skeleton
        ``(H, W)`` one-pixel-wide skeleton (bool or nonzero = on).
    junction_radius
        Skeleton pixels within this many px of a junction pixel are removed
        with it (0: only the junction pixels).
    min_branch
        Branches of fewer pixels are dropped.

    Returns
    -------
    list of ``(P, 2)`` float ``(x, y)`` arrays, in raster order of the branches.
    """
    sk = as_binary_mask(skeleton, name="skeleton")
    if junction_radius < 0:
        raise ValueError(f"junction_radius: must be >= 0, got {junction_radius}")
    min_branch = as_min_size(min_branch)
    coords, adj = skeleton_graph(sk)  # staircase corners are not junctions in this graph
    if coords.size == 0:
        return []
    cols, rows = coords[:, 0].astype(np.intp), coords[:, 1].astype(np.intp)
    hub = np.diff(adj.indptr) >= 3
    if junction_radius > 0 and hub.any():
        grown = np.zeros(sk.shape, np.uint8)
        grown[rows[hub], cols[hub]] = 1
        size = 2 * junction_radius + 1
        disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        hub = cv2.dilate(grown, disk)[rows, cols].astype(bool)
    keep = np.flatnonzero(~hub)
    rest = adj[keep][:, keep].tocsr()
    n_parts, part = connected_components(rest, directed=False)
    sizes = np.bincount(part, minlength=n_parts)
    degree = np.diff(rest.indptr)
    # Every part is a simple path or a ring (junctions are gone): walk it from an end.
    # The first node of a part in raster order orders the parts, as coords are raster-ordered.
    first = np.full(n_parts, part.size)
    np.minimum.at(first, part, np.arange(part.size))
    is_end = degree <= 1
    start_end = np.full(n_parts, part.size)
    np.minimum.at(start_end, part[is_end], np.flatnonzero(is_end))
    start = np.where(start_end < part.size, start_end, first)  # a ring starts anywhere
    neighbours = _neighbour_lists(rest)
    out = []
    for k in np.argsort(first, kind="stable"):
        if sizes[k] < max(min_branch, 1):
            continue
        out.append(coords[keep[_walk(neighbours, int(start[k]))]])
    return out


def _neighbour_lists(adj) -> tuple[list[int], list[int]]:
    """First and second neighbour of every node of a graph of degree <= 2 (-1: none)."""
    n = adj.shape[0]
    degree = np.diff(adj.indptr)
    row = np.repeat(np.arange(n), degree)
    slot = np.arange(adj.indices.size) - adj.indptr[row]
    table = np.full((n, 2), -1, dtype=np.intp)
    table[row, slot] = adj.indices
    return table[:, 0].tolist(), table[:, 1].tolist()  # flat lists: no per-node objects


def _walk(neighbours: tuple[list[int], list[int]], start: int) -> np.ndarray:
    """Nodes of a path (from an end) or a ring (from any node), in order along it."""
    first, second = neighbours
    order, prev, node = [start], -1, start
    while True:
        a, b = first[node], second[node]
        step = a if a != prev and a >= 0 else b
        if step < 0 or step == prev or step == start:
            return np.asarray(order, dtype=np.intp)
        prev, node = node, step
        order.append(node)


def split_at_corners(
    path: np.ndarray, max_turn: float, *, window: int = CORNER_WINDOW
) -> list[np.ndarray]:
    """Cut an ordered pixel path where it turns by more than ``max_turn`` degrees.

    The turn at point ``i`` is the angle between the chords ``i - window -> i``
    and ``i -> i + window``; each run of points over ``max_turn`` is cut once,
    at its sharpest point, which starts the next piece.

    Parameters
    ----------
    path
        ``(P, 2)`` ordered points.
    max_turn
        Degrees in (0, 180]; 180 never cuts.
    window
        Steps on each side of a point (>= 1).

    Returns
    -------
    list of ``(Q, 2)`` pieces in path order (the whole path when it has no corner).

    Examples
    --------
    >>> import numpy as np
    >>> ell = np.array([[x, 0] for x in range(30)] + [[29, y] for y in range(1, 30)], float)
    >>> [len(p) for p in split_at_corners(ell, 45)]
    [29, 30]
    >>> len(split_at_corners(ell, 180))
    1
    """
    if not 0 < max_turn <= 180:
        raise ValueError(f"max_turn: must be in (0, 180], got {max_turn}")
    if window < 1:
        raise ValueError(f"window: must be >= 1, got {window}")
    pts = np.asarray(path, float)
    if max_turn >= 180 or len(pts) <= 2 * window:
        return [pts]
    before = pts[window:-window] - pts[: -2 * window]
    after = pts[2 * window :] - pts[window:-window]
    cross = before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0]
    dot = (before * after).sum(axis=1)
    turn = np.degrees(np.abs(np.arctan2(cross, dot)))  # angle between the chords, 0-180
    over = turn > max_turn
    cuts = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], over.astype(np.int8), [0]])))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        cuts.append(window + start + int(np.argmax(turn[start:stop])))
    bounds = [0, *cuts, len(pts)]
    return [pts[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b - a >= 2]


def trace_lines(
    mask: np.ndarray,
    *,
    threshold: float = 0.5,
    min_size: int = 30,
    junction_radius: int = 2,
    min_branch: int = 4,
    max_gap: float = 40.0,
    max_angle: float = 60.0,
    max_turn: float = 180.0,
) -> list[np.ndarray]:
    """One ordered curve per line in a mask of many lines.

    Parameters
    ----------
    mask
        ``(H, W)`` bool, integer (nonzero) or probability (``> threshold``) map.
    threshold
        Binarisation threshold for float maps.
    min_size
        8-connected specks of fewer pixels are removed before thinning.
    junction_radius, min_branch
        See :func:`skeleton_branches`.
    max_gap, max_angle
        Branch ends this close (px) that point at each other within this angle
        (degrees) are one line; ``max_gap = 0`` keeps every branch separate.
    max_turn
        Traced lines are cut where they turn by more than this many degrees
        (:func:`split_at_corners`); 180 (the default) never cuts.

    Returns
    -------
    list of ``(P, 2)`` float ``(x, y)`` pixel paths, one per traced line, in
    the order of their first branch.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((60, 60), bool)
    >>> m[29:32, 5:55] = True   # a horizontal line ...
    >>> m[5:55, 29:32] = True   # ... crossed by a vertical one
    >>> sorted(len(c) > 40 for c in trace_lines(m, min_size=1))
    [True, True]
    """
    branches = skeleton_branches(
        skeletonize_mask(mask, min_size=min_size, threshold=threshold),
        junction_radius=junction_radius,
        min_branch=min_branch,
    )
    if max_gap <= 0 or len(branches) < 2:
        lines = branches
    else:
        chains = join_fragments(branches, max_gap=max_gap, max_angle=max_angle)
        lines = [
            np.concatenate([branches[k][::-1] if rev else branches[k] for k, rev in chain])
            for chain in chains
        ]
    if max_turn >= 180:
        return lines
    return [piece for line in lines for piece in split_at_corners(line, max_turn)]
