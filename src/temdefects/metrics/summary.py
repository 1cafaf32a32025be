"""All metrics of one image in one call, and their summary over a data set."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from temdefects.metrics import _validate
from temdefects.metrics.centerline import _cl_dice, _curve_distance
from temdefects.metrics.length import _binarize, _length_score
from temdefects.metrics.matching import _match_valid, safe_ratio
from temdefects.metrics.overlap import _union_scores, dice_matrix
from temdefects.metrics.skeleton import _Skeletons

__all__ = ["COUNT_KEYS", "MEAN_KEYS", "aggregate", "evaluate_image"]

#: Keys of :func:`evaluate_image` that :func:`aggregate` sums.
COUNT_KEYS = ("tp", "fp", "fn", "duplicates", "n_true", "n_pred")
#: Keys of :func:`evaluate_image` that :func:`aggregate` averages over images
#: (``curve_distance`` over the images where it is defined).
MEAN_KEYS = (
    "length_score",
    "mean_matched_dice",
    "union_dice",
    "union_iou",
    "cl_dice",
    "curve_distance",
)


def evaluate_image(
    pred_probs: np.ndarray,
    true: np.ndarray,
    *,
    threshold: float = 0.5,
    min_size: int = 10,
    match_threshold: float = 0.5,
) -> dict[str, float | int]:
    """Every metric of this package for one image.

    Parameters
    ----------
    pred_probs : ndarray (N, H, W)
        Predicted probabilities in [0, 1], one dislocation per mask.
    true : ndarray (M, H, W)
        Binary true masks; all-zero masks are padding.
    threshold : float
        Binarisation threshold (foreground where ``pred_probs > threshold``).
    min_size : int
        8-connected objects of fewer pixels are removed from each mask.
    match_threshold : float
        Minimum Dice, in (0, 1], of a one-to-one match.

    Returns
    -------
    dict
        ``length_score`` (:func:`~temdefects.metrics.length_score`);
        ``tp``, ``fp``, ``fn``, ``precision``, ``recall``, ``f1``,
        ``duplicates``, ``duplicate_rate``, ``mean_matched_dice``
        (:func:`~temdefects.metrics.match_instances` with Dice on the cleaned
        masks); ``union_dice``, ``union_iou`` and ``cl_dice`` of the union of
        the cleaned predicted masks against the union of the true masks;
        ``curve_distance``, the mean over matched pairs of
        :func:`~temdefects.metrics.mask_curve_distance` (NaN without pairs);
        ``n_true`` and ``n_pred``, the non-empty true and cleaned predicted
        masks.

    Raises
    ------
    ValueError
        As :func:`~temdefects.metrics.length_score`, or for a
        ``match_threshold`` outside (0, 1].
    """
    p = _validate.probabilities(pred_probs, "pred_probs")
    t = _validate.binary(true, "true", ndim=3, layout="(M, H, W)")
    _validate.same_image_shape(p, t, ("pred_probs", "true"))
    threshold = _validate.unit_interval(threshold, "threshold")
    min_size = _validate.non_negative_int(min_size, "min_size")
    match_threshold = _validate.unit_interval(match_threshold, "match_threshold", open_low=True)

    clean = _binarize(p, threshold, min_size)
    dice = dice_matrix(clean, t)
    ps, ts = _Skeletons(clean), _Skeletons(t)
    match = _match_valid(clean, t, threshold=match_threshold, criterion="dice", scores=dice)
    p_union, t_union = clean.any(axis=0), t.any(axis=0)
    union = _union_scores(p_union, t_union)
    distances = [_curve_distance(ps.points(i), ts.points(j)) for i, j, _ in match.pairs]
    return {
        "length_score": _length_score(clean, t, dice=dice, pred_skeletons=ps, true_skeletons=ts),
        "tp": match.tp,
        "fp": match.fp,
        "fn": match.fn,
        "precision": match.precision,
        "recall": match.recall,
        "f1": match.f1,
        "duplicates": match.duplicates,
        "duplicate_rate": match.duplicate_rate,
        "mean_matched_dice": match.mean_matched_score,
        "union_dice": union["dice"],
        "union_iou": union["iou"],
        "cl_dice": _cl_dice(p_union, t_union),
        "curve_distance": float(np.mean(distances)) if distances else math.nan,
        "n_true": match.n_true,
        "n_pred": match.n_pred,
    }


def _mean_defined(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(sum(finite) / len(finite)) if finite else math.nan


def aggregate(rows: Sequence[Mapping[str, float | int]]) -> dict[str, float | int]:
    """Summarise :func:`evaluate_image` results over many images.

    Parameters
    ----------
    rows : sequence of dict
        One :func:`evaluate_image` result per image; other keys are ignored.

    Returns
    -------
    dict
        ``n_images``; the sums of ``tp``, ``fp``, ``fn``, ``duplicates``,
        ``n_true`` and ``n_pred``; micro-averaged ``precision``, ``recall``
        and ``f1`` from the summed counts (0/0 counts as 1.0);
        ``duplicate_rate`` = summed duplicates / summed ``n_pred`` (0.0 when
        no predictions); the means over images of ``length_score``,
        ``mean_matched_dice``, ``union_dice``, ``union_iou`` and ``cl_dice``;
        the mean of ``curve_distance`` over the images where it is not NaN
        (NaN if none).

    Raises
    ------
    ValueError
        If ``rows`` is empty or a row lacks one of the keys above.
    """
    if len(rows) == 0:
        raise ValueError("rows is empty; aggregate needs at least one evaluate_image result")
    for k, row in enumerate(rows):
        missing = [key for key in (*COUNT_KEYS, *MEAN_KEYS) if key not in row]
        if missing:
            raise ValueError(f"rows[{k}] lacks the keys {missing}; pass evaluate_image results")
    out: dict[str, float | int] = {"n_images": len(rows)}
    for key in COUNT_KEYS:
        out[key] = int(sum(int(row[key]) for row in rows))
    tp, fp, fn = out["tp"], out["fp"], out["fn"]
    out["precision"] = safe_ratio(tp, tp + fp)
    out["recall"] = safe_ratio(tp, tp + fn)
    out["f1"] = safe_ratio(2 * tp, 2 * tp + fp + fn)
    out["duplicate_rate"] = out["duplicates"] / out["n_pred"] if out["n_pred"] else 0.0
    for key in MEAN_KEYS:
        out[key] = _mean_defined([float(row[key]) for row in rows])
    return out
