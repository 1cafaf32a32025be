"""Strict one-to-one matching of predicted curves to hand-drawn centre lines.

The rule (issue 16, stricter than :mod:`temdefects.metrics.coverage`): a
predicted curve and a labelled stroke pair up when the *larger* of the two mean
nearest-point distances (stroke points to the curve, curve points to the
stroke) is at most ``max_distance`` px. A curve that follows two neighbouring
lines, runs on far past the stroke, or covers only half of it fails, because
one of the two means grows. Pairs are then matched one-to-one by Hungarian
assignment, most matches first, smallest distances second.

Both sides are resampled to at most ``step`` px between points before the
means are taken, so the result does not depend on how either was sampled.

Also here: centre-line recall and precision within a tolerance, pooled over
points (how much of the drawn lines lies near some curve, and how much of the
curves lies near some drawn line), which does not care how lines are split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from temdefects.metrics.coverage import point_to_polyline
from temdefects.metrics.matching import assign_pairs, safe_ratio

__all__ = [
    "CurveMatch",
    "centreline_scores",
    "match_by_distance",
    "mean_distance_matrix",
    "resample_polyline",
]


def resample_polyline(points: np.ndarray, step: float = 0.5) -> np.ndarray:
    """``points`` (P, 2) with extra points so that no two neighbours are > ``step`` apart."""
    pts = np.asarray(points, np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
        raise ValueError(f"points: expected (P>=1, 2), got {pts.shape}")
    if not step > 0:
        raise ValueError(f"step: must be > 0, got {step}")
    if len(pts) == 1:
        return pts
    seg = np.hypot(*np.diff(pts, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    if cum[-1] == 0:
        return pts[:1]
    n = max(2, int(np.ceil(cum[-1] / step)) + 1)
    s = np.linspace(0.0, cum[-1], n)
    return np.column_stack([np.interp(s, cum, pts[:, 0]), np.interp(s, cum, pts[:, 1])])


def mean_distance_matrix(
    labels: list, predictions: list, *, max_distance: float = np.inf, step: float = 0.5
) -> np.ndarray:
    """(L, P) symmetric mean distance: the larger of the two mean nearest-point distances.

    Pairs whose bounding boxes lie more than ``max_distance`` apart cannot
    reach it and get ``inf`` without being measured.
    """
    labs = [resample_polyline(p, step) for p in labels]
    preds = [resample_polyline(p, step) for p in predictions]
    out = np.full((len(labs), len(preds)), np.inf)
    lo_l = np.array([p.min(0) for p in labs]).reshape(-1, 2)
    hi_l = np.array([p.max(0) for p in labs]).reshape(-1, 2)
    for j, pred in enumerate(preds):
        lo, hi = pred.min(0), pred.max(0)
        gap = np.maximum(np.maximum(lo_l - hi, lo - hi_l), 0.0)
        near = np.hypot(gap[:, 0], gap[:, 1]) <= max_distance
        for i in np.flatnonzero(near):
            a = point_to_polyline(labs[i], pred).mean()
            b = point_to_polyline(pred, labs[i]).mean()
            out[i, j] = max(a, b)
    return out


@dataclass(frozen=True)
class CurveMatch:
    """Result of :func:`match_by_distance`.

    ``pairs`` holds ``(label index, prediction index, distance)``. Recall is
    matched labels over labels, precision matched predictions over
    predictions (0/0 is 1.0), F1 their harmonic mean.
    """

    n_labels: int
    n_predictions: int
    matched: int
    recall: float
    precision: float
    f1: float
    pairs: tuple
    max_distance: float


def match_by_distance(
    labels: list, predictions: list, *, max_distance: float = 3.0, step: float = 0.5
) -> CurveMatch:
    """One-to-one matching of labelled centre lines and predicted curves (module rule).

    Parameters
    ----------
    labels, predictions
        Lists of (P, 2) ``x, y`` point arrays along each line.
    max_distance
        Largest symmetric mean distance (px) of a matched pair.
    step
        Resampling step (px) of both sides before distances are taken.
    """
    if not (np.isfinite(max_distance) and max_distance > 0):
        raise ValueError(f"max_distance: must be finite and > 0, got {max_distance}")
    dist = mean_distance_matrix(labels, predictions, max_distance=max_distance, step=step)
    # Similarity in (0, 1]: the assignment maximises the number of matches first.
    score = 1.0 / (1.0 + dist)
    matched = assign_pairs(score, 1.0 / (1.0 + max_distance))
    pairs = tuple((r, c, float(dist[r, c])) for r, c in matched)
    n_l, n_p, m = len(labels), len(predictions), len(pairs)
    return CurveMatch(
        n_labels=n_l,
        n_predictions=n_p,
        matched=m,
        recall=safe_ratio(m, n_l),
        precision=safe_ratio(m, n_p),
        f1=safe_ratio(2 * m, n_l + n_p),
        pairs=pairs,
        max_distance=float(max_distance),
    )


def centreline_scores(
    labels: list, predictions: list, *, tolerance: float = 2.0, step: float = 0.5
) -> tuple[int, int, int, int]:
    """Point counts for centre-line recall and precision within ``tolerance`` px.

    Returns ``(label points near a curve, label points, curve points near a
    label, curve points)`` after resampling every line at ``step`` px, so that
    totals can be pooled over frames.
    """
    labs = [resample_polyline(p, step) for p in labels]
    preds = [resample_polyline(p, step) for p in predictions]
    lab_pts = np.concatenate(labs) if labs else np.zeros((0, 2))
    pred_pts = np.concatenate(preds) if preds else np.zeros((0, 2))
    if len(lab_pts) == 0 or len(pred_pts) == 0:
        return 0, len(lab_pts), 0, len(pred_pts)
    d_lab, _ = cKDTree(pred_pts).query(lab_pts, distance_upper_bound=tolerance + step)
    d_pred, _ = cKDTree(lab_pts).query(pred_pts, distance_upper_bound=tolerance + step)
    return (
        int(np.count_nonzero(d_lab <= tolerance)),
        len(lab_pts),
        int(np.count_nonzero(d_pred <= tolerance)),
        len(pred_pts),
    )
