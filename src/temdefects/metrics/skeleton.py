"""Skeletons of thin masks and their length as a pixel graph.

The paper (Govind et al. 2023, section 4) measures a dislocation by the length
of its Lee skeleton. Skeletonising a whole 512x512 image per mask is wasteful
for thin lines, so :func:`skeletonize_mask` works on the bounding box of the
mask, padded by one pixel, which gives the same skeleton.
"""

from __future__ import annotations

import math

import numpy as np
from skimage.morphology import skeletonize

from temdefects.metrics import _validate

__all__ = ["bounding_box", "mask_skeleton_length", "skeleton_length", "skeletonize_mask"]

_SQRT2 = math.sqrt(2.0)


def bounding_box(mask: np.ndarray, *, pad: int = 0) -> tuple[slice, slice] | None:
    """Slices of the smallest box holding all set pixels of a 2-D mask.

    Parameters
    ----------
    mask : ndarray (H, W)
        Any array; non-zero pixels count as set.
    pad : int
        Grow the box by this many pixels on every side, clipped to the image.

    Returns
    -------
    tuple of slice or None
        ``(rows, cols)`` slices, or None for an empty mask.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    h, w = mask.shape
    return (
        slice(max(rows[0] - pad, 0), min(rows[-1] + pad + 1, h)),
        slice(max(cols[0] - pad, 0), min(cols[-1] + pad + 1, w)),
    )


def _skeleton_crop(mask: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """Lee skeleton of the padded bounding box of a bool mask, and the box origin."""
    box = bounding_box(mask, pad=1)
    if box is None:
        return np.zeros((0, 0), dtype=bool), (0, 0)
    # skimage pads with background itself, so a box touching the image border
    # gives the same skeleton as the full image.
    crop = np.ascontiguousarray(mask[box])
    return skeletonize(crop, method="lee"), (box[0].start, box[1].start)


def skeletonize_mask(mask: np.ndarray) -> np.ndarray:
    """Lee skeleton of a binary mask, computed on its bounding box only.

    Parameters
    ----------
    mask : ndarray (H, W)
        Binary mask (bool, or numbers that are all 0 or 1).

    Returns
    -------
    ndarray of bool (H, W)
        The skeleton of ``skimage.morphology.skeletonize(mask, method="lee")``.

    Raises
    ------
    ValueError
        If ``mask`` is not 2-D or not binary.
    """
    mask = _validate.binary(mask, "mask", ndim=2, layout="(H, W)")
    out = np.zeros(mask.shape, dtype=bool)
    skel, (r0, c0) = _skeleton_crop(mask)
    out[r0 : r0 + skel.shape[0], c0 : c0 + skel.shape[1]] = skel
    return out


def _graph_length(s: np.ndarray) -> float:
    axial = np.count_nonzero(s[:, :-1] & s[:, 1:]) + np.count_nonzero(s[:-1, :] & s[1:, :])
    a, b = s[:-1, :-1], s[:-1, 1:]  # top-left, top-right of each 2x2 block
    c, d = s[1:, :-1], s[1:, 1:]  # bottom-left, bottom-right
    # A diagonal step counts only when no L-shaped axial path joins its ends,
    # otherwise a corner would be counted as 1 + 1 + sqrt(2).
    diag = np.count_nonzero(a & d & ~b & ~c) + np.count_nonzero(b & c & ~a & ~d)
    return float(axial + _SQRT2 * diag)


def skeleton_length(skeleton: np.ndarray) -> float:
    """Length in pixels of a one-pixel-wide skeleton seen as an 8-connected graph.

    Every pair of 4-adjacent skeleton pixels adds 1; a pair of diagonally
    adjacent pixels adds sqrt(2) unless one of the two pixels that would join
    them by an L-shaped axial path is also set (that path is already counted).

    Parameters
    ----------
    skeleton : ndarray (H, W)
        Binary skeleton (bool, or numbers that are all 0 or 1).

    Returns
    -------
    float
        Total edge length: ``n - 1`` for a straight horizontal or vertical run
        of ``n`` pixels, ``(n - 1) * sqrt(2)`` for a diagonal run, 0 for a
        single pixel or an empty skeleton.

    Raises
    ------
    ValueError
        If ``skeleton`` is not 2-D or not binary.

    Examples
    --------
    >>> import numpy as np
    >>> skeleton_length(np.eye(4, dtype=bool))  # doctest: +ELLIPSIS
    4.24264...
    """
    s = _validate.binary(skeleton, "skeleton", ndim=2, layout="(H, W)")
    return _graph_length(s)


class _Skeletons:
    """Lazily computed, cached Lee skeletons of the masks of one validated bool stack."""

    def __init__(self, stack: np.ndarray) -> None:
        self._stack = stack
        self._crops: dict[int, tuple[np.ndarray, tuple[int, int]]] = {}

    def crop(self, index: int) -> tuple[np.ndarray, tuple[int, int]]:
        if index not in self._crops:
            self._crops[index] = _skeleton_crop(self._stack[index])
        return self._crops[index]

    def length(self, index: int) -> float:
        skel, _ = self.crop(index)
        return _graph_length(skel) if skel.size else 0.0

    def points(self, index: int) -> np.ndarray:
        """(P, 2) float row/column coordinates of the skeleton pixels."""
        skel, origin = self.crop(index)
        return (np.argwhere(skel) + np.asarray(origin)).astype(np.float64)


def mask_skeleton_length(mask: np.ndarray) -> float:
    """Length of the Lee skeleton of a binary mask (see :func:`skeleton_length`).

    Parameters
    ----------
    mask : ndarray (H, W)
        Binary mask.

    Returns
    -------
    float
        Skeleton length in pixels; 0 for an empty mask.

    Raises
    ------
    ValueError
        If ``mask`` is not 2-D or not binary.
    """
    m = _validate.binary(mask, "mask", ndim=2, layout="(H, W)")
    return _Skeletons(m[None]).length(0)
