"""Masks to one-pixel-wide skeletons, and masks to their connected parts.

Everything works on the padded bounding box of the foreground: a predicted
dislocation covers a few thousand pixels of a 512 x 512 frame, so cropping
first makes the Lee thinning several times faster than on the full frame
while giving the same skeleton (scikit-image pads with zeros itself).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.morphology import skeletonize

from temdefects.geometry._validate import as_binary_mask, as_min_size

__all__ = ["skeletonize_mask", "split_components"]

_EIGHT = np.ones((3, 3), dtype=bool)


def padded_crop(mask: np.ndarray, *, pad: int = 1) -> tuple[np.ndarray, tuple[int, int]] | None:
    """Bounding box of a bool mask with ``pad`` zero pixels on every side.

    Returns ``(crop, (row0, col0))`` with ``mask[r, c] == crop[r - row0, c - col0]``
    inside the image (``row0`` and ``col0`` may be negative when the mask touches
    the border), or ``None`` for an empty mask.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = np.zeros((r1 - r0 + 2 * pad, c1 - c0 + 2 * pad), dtype=bool)
    crop[pad:-pad, pad:-pad] = mask[r0:r1, c0:c1]
    return crop, (int(r0) - pad, int(c0) - pad)


def remove_small(mask: np.ndarray, min_size: int) -> np.ndarray:
    """Drop 8-connected objects of fewer than ``min_size`` pixels from a bool mask."""
    if min_size <= 1:
        return mask
    labels, n = ndimage.label(mask, structure=_EIGHT)
    if n == 0:
        return mask
    keep = np.bincount(labels.ravel()) >= min_size
    if keep[1:].all():
        return mask
    keep[0] = False
    return keep[labels]


def lee_skeleton(crop: np.ndarray) -> np.ndarray:
    """Lee (1994) thinning of a bool crop; a zero border stays zero."""
    return skeletonize(crop, method="lee")


def skeletonize_mask(mask: np.ndarray, *, min_size: int = 0, threshold: float = 0.5) -> np.ndarray:
    """One-pixel-wide Lee skeleton of a binary or probability mask.

    Parameters
    ----------
    mask
        ``(H, W)`` array: bool, integer (foreground where nonzero) or float
        (foreground where ``> threshold``).
    min_size
        8-connected objects of fewer than ``min_size`` pixels are removed before
        thinning (0 or 1 keeps everything).
    threshold
        Binarisation threshold for float masks (0.5 as in Govind et al., sec. 6.4).

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` bool skeleton, identical to
        ``skimage.morphology.skeletonize(mask, method="lee")`` on the cleaned mask.

    Raises
    ------
    ValueError
        If ``mask`` is not 2-D or ``min_size`` is negative.

    Notes
    -----
    The thinning runs on the bounding box of the foreground padded by one zero
    pixel, which gives the same result as the full frame at a fraction of the cost.

    Examples
    --------
    >>> import numpy as np
    >>> mask = np.zeros((9, 20), dtype=bool)
    >>> mask[3:6, 2:18] = True
    >>> skel = skeletonize_mask(mask)
    >>> np.flatnonzero(skel.any(axis=1)), int(skel.sum())
    (array([4]), 16)
    """
    binary = as_binary_mask(mask, threshold=threshold)
    min_size = as_min_size(min_size)
    out = np.zeros(binary.shape, dtype=bool)
    found = padded_crop(binary)
    if found is None:
        return out
    crop, (r0, c0) = found
    skel = lee_skeleton(remove_small(crop, min_size))
    h, w = crop.shape[0] - 2, crop.shape[1] - 2
    out[r0 + 1 : r0 + 1 + h, c0 + 1 : c0 + 1 + w] = skel[1:-1, 1:-1]
    return out


def component_crops(binary: np.ndarray, min_size: int) -> list[tuple[np.ndarray, tuple[int, int]]]:
    """8-connected components of a bool mask as padded crops, largest first.

    Each entry is ``(crop, (row0, col0))`` as in :func:`padded_crop`; a crop holds
    only its own component, not neighbours that share the bounding box. Ties in
    size keep the raster order of the components' first pixels.
    """
    found = padded_crop(binary)
    if found is None:
        return []
    # label only the bounding box: a few predicted pixels in a large frame
    box, (r0, c0) = found
    labels, _ = ndimage.label(box, structure=_EIGHT)
    sizes = np.bincount(labels.ravel())[1:]
    order = np.argsort(-sizes, kind="stable")
    slices = ndimage.find_objects(labels)
    out = []
    for k in order:
        if sizes[k] < max(min_size, 1):
            break
        rs, cs = slices[k]
        inner = labels[rs, cs] == k + 1
        crop = np.zeros((inner.shape[0] + 2, inner.shape[1] + 2), dtype=bool)
        crop[1:-1, 1:-1] = inner
        out.append((crop, (r0 + rs.start - 1, c0 + cs.start - 1)))
    return out


def split_components(
    mask: np.ndarray, *, min_size: int, threshold: float = 0.5
) -> list[np.ndarray]:
    """Split a mask into its 8-connected components, largest first.

    Used for predicted masks that hold several disjoint dislocations.

    Parameters
    ----------
    mask
        ``(H, W)`` bool, integer or float mask (see :func:`skeletonize_mask`).
    min_size
        Components of fewer than ``min_size`` pixels are dropped.
    threshold
        Binarisation threshold for float masks.

    Returns
    -------
    list of numpy.ndarray
        One ``(H, W)`` bool mask per kept component, sorted by decreasing pixel
        count (ties in raster order of their first pixel); empty when nothing is kept.

    Raises
    ------
    ValueError
        If ``mask`` is not 2-D or ``min_size`` is negative.
    """
    binary = as_binary_mask(mask, threshold=threshold)
    min_size = as_min_size(min_size)
    out = []
    for crop, (r0, c0) in component_crops(binary, min_size):
        full = np.zeros(binary.shape, dtype=bool)
        h, w = crop.shape[0] - 2, crop.shape[1] - 2
        full[r0 + 1 : r0 + 1 + h, c0 + 1 : c0 + 1 + w] = crop[1:-1, 1:-1]
        out.append(full)
    return out
