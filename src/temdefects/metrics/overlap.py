"""Pairwise overlap scores between stacks of binary masks, and union scores.

The pairwise intersections come from one matrix product of the flattened
stacks, ``(K, HW) @ (HW, L)``, taken in chunks of pixels so that the float
copies stay small (a few MiB) for any image size.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from temdefects.metrics import _validate

__all__ = ["CRITERIA", "dice_matrix", "get_criterion", "iou_matrix", "union_scores"]

# float32 sums of 0/1 products are exact below 2**24; chunks stay far below.
_CHUNK = 1 << 16


def _stacks(a: object, b: object) -> tuple[np.ndarray, np.ndarray]:
    a = _validate.binary(a, "a", ndim=3, layout="(K, H, W)")
    b = _validate.binary(b, "b", ndim=3, layout="(L, H, W)")
    _validate.same_image_shape(a, b, ("a", "b"))
    return a, b


def _counts(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intersections (K, L) and sizes (K,), (L,) of two validated bool stacks."""
    fa = a.reshape(a.shape[0], a.shape[1] * a.shape[2])
    fb = b.reshape(b.shape[0], b.shape[1] * b.shape[2])
    inter = np.zeros((fa.shape[0], fb.shape[0]), dtype=np.float64)
    size_a = np.zeros(fa.shape[0], dtype=np.float64)
    size_b = np.zeros(fb.shape[0], dtype=np.float64)
    # Only pixels set in some mask can add to a count; for thin lines that is
    # a small fraction of the image.
    used = np.zeros(fa.shape[1], dtype=bool)
    for f in (fa, fb):
        if f.shape[0]:
            np.logical_or(used, np.logical_or.reduce(f, axis=0), out=used)
    cols = np.flatnonzero(used)
    for start in range(0, cols.size, _CHUNK):
        chunk = cols[start : start + _CHUNK]
        ca = fa[:, chunk].astype(np.float32)
        cb = fb[:, chunk].astype(np.float32)
        if inter.size:
            inter += ca @ cb.T
        size_a += ca.sum(axis=1)
        size_b += cb.sum(axis=1)
    return inter, size_a, size_b


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros(np.broadcast_shapes(num.shape, den.shape), dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def dice_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dice coefficient between every mask of ``a`` and every mask of ``b``.

    Parameters
    ----------
    a : ndarray (K, H, W)
        Binary masks (bool, or numbers that are all 0 or 1).
    b : ndarray (L, H, W)
        Binary masks of the same image size.

    Returns
    -------
    ndarray of float64 (K, L)
        ``2 |a_k & b_l| / (|a_k| + |b_l|)``. Two empty masks score 0, not 1:
        an empty mask never matches anything.

    Raises
    ------
    ValueError
        If a stack is not 3-D or not binary, or the image sizes differ.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((1, 4, 4), bool); a[0, 0, :2] = True
    >>> dice_matrix(a, a[:, :, ::-1] | a)
    array([[0.66666667]])
    """
    inter, sa, sb = _counts(*_stacks(a, b))
    return _ratio(2.0 * inter, sa[:, None] + sb[None, :])


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union between every mask of ``a`` and every mask of ``b``.

    Parameters
    ----------
    a : ndarray (K, H, W)
        Binary masks.
    b : ndarray (L, H, W)
        Binary masks of the same image size.

    Returns
    -------
    ndarray of float64 (K, L)
        ``|a_k & b_l| / |a_k | b_l|``; two empty masks score 0.

    Raises
    ------
    ValueError
        If a stack is not 3-D or not binary, or the image sizes differ.
    """
    inter, sa, sb = _counts(*_stacks(a, b))
    return _ratio(inter, sa[:, None] + sb[None, :] - inter)


#: Matching criteria by name: each maps two binary stacks (K, H, W), (L, H, W)
#: to a (K, L) score matrix in [0, 1], higher meaning a better match.
CRITERIA: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "dice": dice_matrix,
    "iou": iou_matrix,
}


def get_criterion(name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The pairwise score function registered in :data:`CRITERIA` under ``name``.

    Raises
    ------
    ValueError
        If ``name`` is not registered; the message lists the known names.
    """
    try:
        return CRITERIA[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(k) for k in sorted(CRITERIA))
        raise ValueError(f"unknown matching criterion {name!r}; known: {known}") from None


def union_scores(pred: np.ndarray, true: np.ndarray) -> dict[str, float]:
    """Dice and IoU of the union of all predicted masks against the union of all true masks.

    This is the score of a plain binary segmentation, blind to instances.

    Parameters
    ----------
    pred : ndarray (N, H, W)
        Binary predicted masks (threshold probabilities first).
    true : ndarray (M, H, W)
        Binary true masks.

    Returns
    -------
    dict
        ``{"dice": float, "iou": float}``; both are 1.0 when both unions are
        empty (nothing to find, nothing found).

    Raises
    ------
    ValueError
        If a stack is not 3-D or not binary, or the image sizes differ.
    """
    p, t = _validate.binary_stacks(pred, true)
    return _union_scores(p.any(axis=0), t.any(axis=0))


def _union_scores(p: np.ndarray, t: np.ndarray) -> dict[str, float]:
    """Dice and IoU of two validated 2-D bool masks."""
    inter = np.count_nonzero(p & t)
    sp, st = np.count_nonzero(p), np.count_nonzero(t)
    if sp + st == 0:
        return {"dice": 1.0, "iou": 1.0}
    return {"dice": float(2 * inter / (sp + st)), "iou": float(inter / (sp + st - inter))}
