"""Skeleton pixels to a graph, and the graph to one ordered path.

A thinned dislocation is nearly a simple curve, but real skeletons carry
short spurs (from bumps on the mask outline) and small loops (from holes in the
mask). Taking the longest shortest path through the pixel graph removes both
without tuning: spurs are shorter than the main branch, and a shortest path
goes around one side of a loop.

The graph is built here rather than with ``skan``: on the skeletons of
generated dislocations skan's ``skeleton_to_csgraph`` with the same path
search is 3.6x slower per skeleton, plus 0.9 s of numba compilation per
process, for the same paths (``benchmarks/bench_skeleton_graph.py``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from temdefects.geometry._validate import as_binary_mask
from temdefects.geometry.skeleton import padded_crop

__all__ = ["skeleton_graph", "longest_path"]

_SQRT2 = math.sqrt(2.0)


def graph_from_crop(skel: np.ndarray) -> tuple[np.ndarray, np.ndarray, csr_matrix]:
    """Rows, columns and symmetric adjacency of the pixels of a bool crop.

    The crop must have a zero border of at least one pixel, so that neighbour
    look-ups never leave the array.
    """
    rows, cols = np.nonzero(skel)
    n = rows.size
    index = np.full(skel.shape, -1, dtype=np.int32)
    index[rows, cols] = np.arange(n, dtype=np.int32)
    src, dst, wts = [], [], []
    # Forward half of the 8-neighbourhood; the matrix is symmetrised below.
    for dr, dc, weight in ((0, 1, 1.0), (1, 0, 1.0), (1, 1, _SQRT2), (1, -1, _SQRT2)):
        j = index[rows + dr, cols + dc]
        ok = j >= 0
        if dr and dc:
            # A diagonal step whose 2x2 block also holds one of the two other
            # corners duplicates an axial two-step path: drop it, so the corner
            # is walked through rather than cut, and no triangles appear.
            ok &= ~(skel[rows, cols + dc] | skel[rows + dr, cols])
        src.append(np.flatnonzero(ok))
        dst.append(j[ok])
        wts.append(np.full(src[-1].size, weight))
    i = np.concatenate(src + dst)
    j = np.concatenate(dst + src)
    w = np.concatenate(wts + wts)
    adj = csr_matrix((w, (i, j)), shape=(n, n))
    return rows, cols, adj


def skeleton_graph(skeleton: np.ndarray) -> tuple[np.ndarray, csr_matrix]:
    """Weighted 8-neighbour graph of the pixels of a skeleton.

    Parameters
    ----------
    skeleton
        ``(H, W)`` bool or integer (nonzero = on) skeleton, one pixel wide.

    Returns
    -------
    coords : numpy.ndarray
        ``(P, 2)`` float pixel centres ``(x, y) = (column, row)`` in raster order.
    adjacency : scipy.sparse.csr_matrix
        ``(P, P)`` symmetric; weight 1 between axial neighbours and sqrt(2)
        between diagonal neighbours.

    Raises
    ------
    ValueError
        If ``skeleton`` is not 2-D.

    Notes
    -----
    A diagonal edge is left out when either of the two other pixels of its
    2 x 2 block is on: the same two pixels are then already joined by two
    axial steps through that corner. Keeping both would make a triangle, and a
    shortest path would cut the corner and skip a pixel of the curve; without
    it a path along a one-pixel-wide curve visits every pixel, and its length
    counts such a corner as 2 px rather than sqrt(2) (the spline fitted later
    smooths the corner away). Cycles remain only where the skeleton itself has
    a hole.
    """
    binary = as_binary_mask(skeleton, name="skeleton")
    found = padded_crop(binary)
    if found is None:
        return np.zeros((0, 2)), csr_matrix((0, 0))
    crop, (r0, c0) = found
    rows, cols, adj = graph_from_crop(crop)
    coords = np.column_stack([cols + c0, rows + r0]).astype(np.float64)
    return coords, adj


def path_indices(adj: csr_matrix, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, int]:
    """Node indices of the longest path and the pixel count of its component.

    The component with the greatest total edge length wins (ties: more
    pixels, then lowest component label). Two Dijkstra sweeps approximate its
    diameter: the node farthest from an arbitrary node, then the node farthest
    from that one; exact on trees. The ends are ordered so the first has the
    smaller ``(x, y)`` (column first, then row).
    """
    n = adj.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.intp), 0
    ncomp, labels = connected_components(adj, directed=False)
    if ncomp > 1:
        coo = adj.tocoo()
        length = np.bincount(labels[coo.row], weights=coo.data, minlength=ncomp)
        count = np.bincount(labels, minlength=ncomp)
        best = np.lexsort((-np.arange(ncomp), count, length))[-1]
        members = np.flatnonzero(labels == best)
    else:
        members = np.arange(n)
    if members.size == 1:
        return members, 1
    dist = dijkstra(adj, directed=True, indices=members[0])
    dist[~np.isfinite(dist)] = -1.0
    a = int(np.argmax(dist))
    dist, pred = dijkstra(adj, directed=True, indices=a, return_predecessors=True)
    dist[~np.isfinite(dist)] = -1.0
    b = int(np.argmax(dist))
    # Walking a plain list is several times faster than indexing the array.
    pred_list = pred.tolist()
    path = [b]
    node = b
    while node != a:
        node = pred_list[node]
        path.append(node)
    idx = np.asarray(path, dtype=np.intp)
    first, last = idx[0], idx[-1]
    if (cols[last], rows[last]) < (cols[first], rows[first]):
        idx = idx[::-1]
    return idx, int(members.size)


def longest_path(skeleton: np.ndarray) -> np.ndarray:
    """Ordered pixel centres of the longest path through a skeleton.

    Parameters
    ----------
    skeleton
        ``(H, W)`` bool or integer (nonzero = on) skeleton, one pixel wide,
        e.g. from :func:`~temdefects.geometry.skeleton.skeletonize_mask`.

    Returns
    -------
    numpy.ndarray
        ``(P, 2)`` float ``(x, y)`` pixel centres from one end to the other;
        ``(0, 2)`` for an empty skeleton, ``(1, 2)`` for a single pixel.

    Raises
    ------
    ValueError
        If ``skeleton`` is not 2-D.

    Notes
    -----
    Only the connected component with the greatest skeleton length is used.
    Within it the path is the (approximate) graph diameter of
    :func:`skeleton_graph` found by two Dijkstra sweeps, so side branches
    shorter than the remaining main branch are ignored and a loop is passed on
    its shorter side. The path starts at the end with the smaller x (then the
    smaller y). A closed ring has no ends: the result is about half of it.

    Examples
    --------
    >>> import numpy as np
    >>> sk = np.zeros((5, 7), dtype=bool)
    >>> sk[2, 1:6] = True
    >>> longest_path(sk)[[0, -1]]
    array([[1., 2.],
           [5., 2.]])
    """
    coords, adj = skeleton_graph(skeleton)
    idx, _ = path_indices(adj, coords[:, 1], coords[:, 0])
    return coords[idx]
