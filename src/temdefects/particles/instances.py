"""Binary particle mask -> one label per particle.

Connected components are split where particles touch by a watershed of the
distance transform, as usual for round objects:

1. Holes smaller than ``min_size`` are filled, components smaller than
   ``min_size`` px removed; with ``relative_min_size``, also those smaller than
   that fraction of the median component area (the image's own scale).
2. The Euclidean distance to the background is smoothed (sigma 1 px) so the
   pixel staircase of an outline makes no maxima of its own.
3. Markers are the maxima of that distance (``skimage.feature.peak_local_max``)
   at least ``min_distance = max(2, expected_diameter / 4)`` px apart; every
   component gets at least its highest point. Without ``expected_diameter`` it
   is estimated per image as the median over components of twice their largest
   inscribed radius, which is one particle's diameter also for a cluster.
4. ``skimage.segmentation.watershed`` on the negated distance within the mask.
5. Over-splitting is undone: two adjacent regions merge when the distance on
   their shared boundary (the neck's half-width) reaches ``merge_ratio`` times
   the smaller of their peak distances (inscribed radii). Two touching disks
   meet at a neck much thinner than either; an elongated or faceted single
   particle that produced two maxima has a neck nearly as wide as itself.
6. Regions that end up smaller than ``min_size`` are removed; labels are
   renumbered 1..K in raster order of their first pixel.

Border: particles cut by the image border are kept (their area is the visible
part) unless ``exclude_border``; :func:`touches_border` tells which they are.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

_EIGHT = np.ones((3, 3), bool)


def _check_mask(mask: np.ndarray) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"label_particles: expected a 2D mask, got shape {mask.shape}")
    if mask.dtype != bool:
        if not np.issubdtype(mask.dtype, np.integer):
            raise ValueError(f"label_particles: expected a bool or integer mask, got {mask.dtype}")
        mask = mask > 0
    return mask


def _clean(mask: np.ndarray, min_size: int) -> np.ndarray:
    """Fill small holes and drop small components."""
    holes, n = ndi.label(~mask)
    if n:
        sizes = np.bincount(holes.ravel())
        border = np.unique(np.concatenate([holes[0], holes[-1], holes[:, 0], holes[:, -1]]))
        small = sizes < max(min_size, 1)
        small[border] = False
        small[0] = False
        mask = mask | small[holes]
    comps, n = ndi.label(mask, structure=_EIGHT)
    if n and min_size:
        keep = np.bincount(comps.ravel()) >= min_size
        keep[0] = False
        mask = keep[comps]
    return mask


def _relabel(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Drop regions below ``min_size`` and renumber 1..K in raster order."""
    flat = labels.ravel()
    sizes = np.bincount(flat)
    ids, first = np.unique(flat, return_index=True)
    keep = (ids > 0) & (sizes[ids] >= max(min_size, 1))
    ids, first = ids[keep], first[keep]
    lut = np.zeros(len(sizes), np.int32)
    lut[ids[np.argsort(first)]] = np.arange(1, len(ids) + 1, dtype=np.int32)
    return lut[labels]


def _merge_necks(labels: np.ndarray, distance: np.ndarray, ratio: float) -> np.ndarray:
    """Merge adjacent regions whose shared boundary is nearly as wide as they are."""
    n = int(labels.max())
    if n < 2 or ratio >= 1.0 + 1e-12:
        return labels
    peaks = np.zeros(n + 1)
    peaks[1:] = ndi.maximum(distance, labels, np.arange(1, n + 1))
    keys, necks = [], []
    for a, b, da, db in (
        (labels[:, :-1], labels[:, 1:], distance[:, :-1], distance[:, 1:]),
        (labels[:-1], labels[1:], distance[:-1], distance[1:]),
    ):
        edge = (a != b) & (a > 0) & (b > 0)
        lo, hi = np.minimum(a[edge], b[edge]), np.maximum(a[edge], b[edge])
        keys.append(lo.astype(np.int64) * (n + 1) + hi)
        necks.append(np.minimum(da[edge], db[edge]))
    keys, necks = np.concatenate(keys), np.concatenate(necks)
    if not len(keys):
        return labels
    pairs, inverse = np.unique(keys, return_inverse=True)
    saddle = np.zeros(len(pairs))
    np.maximum.at(saddle, inverse, necks)
    parent = np.arange(n + 1)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for key, s in zip(pairs, saddle, strict=True):
        a, b = int(key // (n + 1)), int(key % (n + 1))
        if s >= ratio * min(peaks[a], peaks[b]):
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    lut = np.array([root(i) for i in range(n + 1)])
    return lut[labels]


def estimate_diameter(mask: np.ndarray) -> float:
    """Median over components of twice their largest inscribed radius (px); 0 if empty.

    Examples
    --------
    >>> yy, xx = np.mgrid[:64, :64]
    >>> round(estimate_diameter((yy - 32) ** 2 + (xx - 32) ** 2 < 12**2))
    24
    """
    mask = _check_mask(mask)
    comps, n = ndi.label(mask, structure=_EIGHT)
    if not n:
        return 0.0
    dist = ndi.distance_transform_edt(np.pad(mask, 1, mode="edge"))[1:-1, 1:-1]
    radii = ndi.maximum(dist, comps, np.arange(1, n + 1))
    return float(2.0 * np.median(radii))


def label_particles(
    mask: np.ndarray,
    *,
    min_size: int = 30,
    expected_diameter: float | None = None,
    merge_ratio: float = 0.7,
    split: bool = True,
    exclude_border: bool = False,
    relative_min_size: float = 0.0,
) -> np.ndarray:
    """One label per particle of a binary mask (see the module docstring).

    Parameters
    ----------
    mask
        (H, W) bool (or integer, > 0 is particle).
    min_size
        Objects and holes smaller than this (px) are removed / filled.
    expected_diameter
        Typical particle diameter in px; ``None`` or 0 estimates it from the mask
        (:func:`estimate_diameter`). Sets the least marker distance.
    merge_ratio
        Neck-to-radius ratio from which two watershed regions are one particle.
    split
        ``False``: connected components only.
    exclude_border
        Drop particles that touch the image border.
    relative_min_size
        Components smaller than this fraction of the median component area of
        the mask are removed too: the floor follows the particles' own scale
        in the image.

    Returns
    -------
    np.ndarray
        (H, W) int32 labels, 0 background, 1..K.

    Examples
    --------
    >>> yy, xx = np.mgrid[:60, :100]
    >>> two = ((yy - 30) ** 2 + (xx - 35) ** 2 < 15**2) | ((yy - 30) ** 2 + (xx - 62) ** 2 < 15**2)
    >>> int(label_particles(two).max()), int(label_particles(two, split=False).max())
    (2, 1)
    """
    from skimage.feature import peak_local_max
    from skimage.segmentation import watershed

    mask = _check_mask(mask)
    if min_size < 0 or not 0.0 <= merge_ratio <= 1.0:
        raise ValueError("label_particles: min_size must be >= 0 and merge_ratio in [0, 1]")
    mask = _clean(mask, int(min_size))
    if relative_min_size > 0 and mask.any():
        comps, n = ndi.label(mask, structure=_EIGHT)
        areas = np.bincount(comps.ravel())[1:]
        floor = int(np.ceil(relative_min_size * float(np.median(areas))))
        if floor > min_size:
            min_size = floor
            mask = _clean(mask, min_size)
    comps, n = ndi.label(mask, structure=_EIGHT)
    if n and split:
        # Pad: the image border is not background, so cut particles keep their centre.
        distance = ndi.distance_transform_edt(np.pad(mask, 1, mode="edge"))[1:-1, 1:-1]
        smooth = ndi.gaussian_filter(distance, 1.0) * mask
        diameter = expected_diameter or estimate_diameter(mask)
        min_distance = max(2, int(round(diameter / 4.0)))
        peaks = peak_local_max(
            smooth, min_distance=min_distance, labels=comps, exclude_border=False
        )
        markers = np.zeros(mask.shape, np.int32)
        markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
        missing = np.setdiff1d(np.arange(1, n + 1), comps[markers > 0])
        if len(missing):  # flat components without a strict maximum: their highest point
            tops = ndi.maximum_position(smooth, comps, missing)
            for k, (y, x) in enumerate(tops):
                markers[y, x] = len(peaks) + 1 + k
        regions = watershed(-smooth, markers, mask=mask)
        comps = _merge_necks(regions, smooth, merge_ratio)
    labels = _relabel(comps, int(min_size))
    if exclude_border and labels.any():
        edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        labels[np.isin(labels, edge[edge > 0])] = 0
        labels = _relabel(labels, 0)
    return labels


def touches_border(labels: np.ndarray) -> np.ndarray:
    """Bool per label 0..K: whether that particle has a pixel on the image border."""
    labels = np.asarray(labels)
    flags = np.zeros(int(labels.max(initial=0)) + 1, bool)
    flags[np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])] = True
    flags[0] = False
    return flags


__all__ = ["estimate_diameter", "label_particles", "touches_border"]
