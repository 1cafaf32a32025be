"""The length score of Govind et al. 2023 (section 4, Algorithm 1).

Per image: binarise the predicted probabilities, drop small specks, pair each
true dislocation with a prediction greedily as in Algorithm 1, and compare the
Lee-skeleton lengths of each pair.

Greedy pairing (Algorithm 1): true masks are visited in their given order;
each takes, among the predictions not taken yet, the one with the smallest
Dice loss (largest Dice), the first in index order on ties. The result depends
on the order of the true masks; it is not an optimal assignment (use
:func:`temdefects.metrics.match_instances` for that).

One deliberate difference from a literal reading of Algorithm 1: when every
remaining prediction has Dice 0 with a true mask (no overlap at all), the true
mask stays unmatched (score 0) and takes no prediction. Literally, it would
take the first remaining prediction, which makes the score depend on the order
of the predicted masks and on empty masks among them.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from temdefects.metrics import _validate
from temdefects.metrics.overlap import dice_matrix
from temdefects.metrics.skeleton import _Skeletons, bounding_box

__all__ = ["binarize_predictions", "greedy_match", "length_score", "pair_length_score"]

_EIGHT = np.ones((3, 3), dtype=bool)


def _remove_small(mask: np.ndarray, min_size: int) -> np.ndarray:
    """Drop 8-connected objects of fewer than ``min_size`` pixels, in place."""
    if min_size <= 1:
        return mask
    box = bounding_box(mask)
    if box is None:
        return mask
    labels, n = ndi.label(mask[box], structure=_EIGHT)
    keep = np.bincount(labels.ravel(), minlength=n + 1) >= min_size
    keep[0] = False
    mask[box] = keep[labels]
    return mask


def _binarize(pred: np.ndarray, threshold: float, min_size: int) -> np.ndarray:
    out = pred > threshold
    for mask in out:
        _remove_small(mask, min_size)
    return out


def binarize_predictions(
    pred: np.ndarray, *, threshold: float = 0.5, min_size: int = 10
) -> np.ndarray:
    """Threshold predicted probabilities and remove small objects from each mask.

    Parameters
    ----------
    pred : ndarray (N, H, W)
        Probabilities in [0, 1] (float, integer or bool).
    threshold : float
        A pixel is foreground when its probability is strictly greater.
    min_size : int
        8-connected objects with fewer pixels are removed (0 or 1 keeps all).

    Returns
    -------
    ndarray of bool (N, H, W)

    Raises
    ------
    ValueError
        If ``pred`` is not 3-D or holds values outside [0, 1], or an option
        is out of range.
    """
    threshold = _validate.unit_interval(threshold, "threshold")
    min_size = _validate.non_negative_int(min_size, "min_size")
    return _binarize(_validate.probabilities(pred, "pred"), threshold, min_size)


def _greedy(dice: np.ndarray, true_nonempty: np.ndarray) -> list[tuple[int, int, float]]:
    """Algorithm 1 on a (N, M) Dice matrix; returns (pred, true, dice) pairs."""
    free = np.ones(dice.shape[0], dtype=bool)
    pairs = []
    for j in np.flatnonzero(true_nonempty):
        if not free.any():
            break
        col = np.where(free, dice[:, j], -1.0)
        i = int(np.argmax(col))  # first index among equal maxima, like "<" in Algorithm 1
        if col[i] <= 0:
            continue
        free[i] = False
        pairs.append((i, int(j), float(col[i])))
    return pairs


def greedy_match(pred: np.ndarray, true: np.ndarray) -> tuple[tuple[int, int, float], ...]:
    """Pair true masks with predicted masks greedily, as in Algorithm 1.

    Parameters
    ----------
    pred : ndarray (N, H, W)
        Binary predicted masks.
    true : ndarray (M, H, W)
        Binary true masks; empty (padding) masks are skipped.

    Returns
    -------
    tuple of (pred_index, true_index, dice)
        In the order of the true masks; true masks left without a
        prediction (none remaining, or none overlapping) are absent.

    Raises
    ------
    ValueError
        If a stack is not 3-D or not binary, or the image sizes differ.
    """
    p, t = _validate.binary_stacks(pred, true)
    return tuple(_greedy(dice_matrix(p, t), t.any(axis=(1, 2))))


def pair_length_score(length_pred: float, length_true: float) -> float:
    """``max(0, 1 - |L_pred - L_true| / L_true)``; for ``L_true == 0``, 1 if ``L_pred == 0``.

    Parameters
    ----------
    length_pred, length_true : float
        Skeleton lengths in pixels (>= 0).

    Returns
    -------
    float
        Score in [0, 1].
    """
    if length_true <= 0:
        return 1.0 if length_pred <= 0 else 0.0
    return max(0.0, 1.0 - abs(length_pred - length_true) / length_true)


def _length_score(
    clean: np.ndarray,
    t: np.ndarray,
    *,
    dice: np.ndarray | None = None,
    pred_skeletons: _Skeletons | None = None,
    true_skeletons: _Skeletons | None = None,
) -> float:
    """Length score of validated bool stacks; ``clean`` is already binarised.

    ``dice`` (N, M) and the skeleton caches may be shared with other metrics.
    """
    true_nonempty = t.any(axis=(1, 2))
    n_true = int(np.count_nonzero(true_nonempty))
    if n_true == 0:
        return 0.0 if clean.any() else 1.0
    if dice is None:
        dice = dice_matrix(clean, t)
    ps = pred_skeletons or _Skeletons(clean)
    ts = true_skeletons or _Skeletons(t)
    total = sum(
        pair_length_score(ps.length(i), ts.length(j)) for i, j, _ in _greedy(dice, true_nonempty)
    )
    return float(min(1.0, total / n_true))


def length_score(
    pred: np.ndarray, true: np.ndarray, *, threshold: float = 0.5, min_size: int = 10
) -> float:
    """Skeleton-length metric of Govind et al. 2023 for one image.

    Parameters
    ----------
    pred : ndarray (N, H, W)
        Predicted probabilities in [0, 1], one dislocation per mask.
    true : ndarray (M, H, W)
        Binary true masks, one dislocation per mask; all-zero masks are
        padding and are skipped. Masks may overlap.
    threshold : float
        Binarisation threshold: foreground where ``pred > threshold``.
    min_size : int
        8-connected objects of fewer pixels are removed from each mask.

    Returns
    -------
    float
        Mean over non-empty true masks of the pair score
        ``max(0, 1 - |L_pred - L_true| / L_true)`` (see
        :func:`pair_length_score`), with L the length of the Lee skeleton
        (:func:`temdefects.metrics.skeleton_length`) and pairs from
        :func:`greedy_match`; a true mask without a pair scores 0. Without
        true masks: 1.0 if no predicted pixel survives cleaning, else 0.0.

    Raises
    ------
    ValueError
        If a stack is not 3-D, ``pred`` is outside [0, 1], ``true`` is not
        binary, the image sizes differ or an option is out of range.

    Notes
    -----
    Pairing follows Algorithm 1 except that a true mask with no overlapping
    prediction left takes none (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.zeros((1, 16, 32), bool); t[0, 8, 2:30] = True
    >>> length_score(t.astype(float), t)
    1.0
    """
    p = _validate.probabilities(pred, "pred")
    t = _validate.binary(true, "true", ndim=3, layout="(M, H, W)")
    _validate.same_image_shape(p, t, ("pred", "true"))
    threshold = _validate.unit_interval(threshold, "threshold")
    min_size = _validate.non_negative_int(min_size, "min_size")
    return _length_score(_binarize(p, threshold, min_size), t)
