"""Centre-line metrics: clDice and the mean distance between curves.

For thin structures such as dislocations, pixel overlap rewards thick masks;
these metrics compare centre lines (Lee skeletons) instead.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from temdefects.metrics import _validate
from temdefects.metrics.skeleton import _Skeletons

__all__ = ["cl_dice", "curve_distance", "mask_curve_distance"]


def _skeleton_points(mask: np.ndarray) -> np.ndarray:
    """(P, 2) row/column coordinates of the Lee skeleton of a validated bool mask."""
    return _Skeletons(mask[None]).points(0).astype(np.intp)


def _cl_dice(p: np.ndarray, t: np.ndarray) -> float:
    """clDice of two validated 2-D bool masks."""
    has_p, has_t = bool(p.any()), bool(t.any())
    if not (has_p or has_t):
        return 1.0
    if not (has_p and has_t):
        return 0.0
    sp, st = _skeleton_points(p), _skeleton_points(t)
    tprec = np.count_nonzero(t[sp[:, 0], sp[:, 1]]) / len(sp)
    tsens = np.count_nonzero(p[st[:, 0], st[:, 1]]) / len(st)
    if tprec + tsens == 0:
        return 0.0
    return float(2.0 * tprec * tsens / (tprec + tsens))


def cl_dice(pred_union: np.ndarray, true_union: np.ndarray) -> float:
    """Centre-line Dice (clDice, Shit et al., CVPR 2021) of two 2-D binary masks.

    Parameters
    ----------
    pred_union : ndarray (H, W)
        Binary prediction, typically the union of all predicted masks.
    true_union : ndarray (H, W)
        Binary ground truth, typically the union of all true masks.

    Returns
    -------
    float
        Harmonic mean of topology precision ``|S(pred) & true| / |S(pred)|``
        and topology sensitivity ``|S(true) & pred| / |S(true)|``, where S is
        the Lee skeleton. 1.0 when both masks are empty, 0.0 when exactly one
        is.

    Raises
    ------
    ValueError
        If a mask is not 2-D or not binary, or the shapes differ.
    """
    p = _validate.binary(pred_union, "pred_union", ndim=2, layout="(H, W)")
    t = _validate.binary(true_union, "true_union", ndim=2, layout="(H, W)")
    _validate.same_image_shape(p, t, ("pred_union", "true_union"))
    return _cl_dice(p, t)


def _points(a: object, name: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must be an array of shape (P, 2), got shape {arr.shape}")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one point, got none")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must hold finite coordinates")
    return arr


def _curve_distance(a: np.ndarray, b: np.ndarray) -> float:
    d_ab, _ = cKDTree(b).query(a)
    d_ba, _ = cKDTree(a).query(b)
    return float(0.5 * (d_ab.mean() + d_ba.mean()))


def curve_distance(a_points: np.ndarray, b_points: np.ndarray) -> float:
    """Symmetric mean nearest-point distance between two curves given as points.

    Parameters
    ----------
    a_points, b_points : ndarray (P, 2), (Q, 2)
        Points along each curve, in pixels (any fixed axis order). Sample
        them densely (about 1 px apart): the distance is measured to the
        nearest sample, not to the segments between samples.

    Returns
    -------
    float
        ``(mean_a min_b |a - b| + mean_b min_a |a - b|) / 2`` in pixels.

    Raises
    ------
    ValueError
        If an array is not (P, 2), is empty, or holds non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(10.0)
    >>> curve_distance(np.c_[x, 0 * x], np.c_[x, 0 * x + 3])
    3.0
    """
    return _curve_distance(_points(a_points, "a_points"), _points(b_points, "b_points"))


def mask_curve_distance(mask_a: np.ndarray, mask_b: np.ndarray) -> float:
    """:func:`curve_distance` between the Lee skeleton pixels of two binary masks.

    Parameters
    ----------
    mask_a, mask_b : ndarray (H, W)
        Non-empty binary masks of the same shape.

    Returns
    -------
    float
        Symmetric mean distance in pixels between the two centre lines.

    Raises
    ------
    ValueError
        If a mask is not 2-D, not binary or empty, or the shapes differ.
    """
    a = _validate.binary(mask_a, "mask_a", ndim=2, layout="(H, W)")
    b = _validate.binary(mask_b, "mask_b", ndim=2, layout="(H, W)")
    _validate.same_image_shape(a, b, ("mask_a", "mask_b"))
    for name, m in (("mask_a", a), ("mask_b", b)):
        if not m.any():
            raise ValueError(f"{name} is empty; a curve distance needs a non-empty mask")
    return _curve_distance(_Skeletons(a[None]).points(0), _Skeletons(b[None]).points(0))
