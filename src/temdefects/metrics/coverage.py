"""Matching of predicted curves to hand-drawn centre lines by coverage.

For hand labels drawn as thin strokes, a tolerance on distance is fairer than
a mask overlap: a stroke is *covered* by a predicted curve to the fraction of
its points that lie within ``tolerance`` px of the curve (a polyline). Pairs
with coverage at least ``min_coverage`` are matched one-to-one, most matches
first, then the largest total coverage (Hungarian;
:func:`temdefects.metrics.matching.assign_pairs`). Recall is matched labels over
labels; precision is matched predictions over predictions (a lower bound when
the labels are partial).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from temdefects.metrics.matching import assign_pairs


def point_to_polyline(points: np.ndarray, polyline: np.ndarray) -> np.ndarray:
    """Distance of each point (P, 2) to a polyline (Q, 2); one point if Q == 1."""
    pts = np.asarray(points, np.float64)
    line = np.asarray(polyline, np.float64)
    if line.ndim != 2 or line.shape[1] != 2 or len(line) == 0:
        raise ValueError(f"polyline: expected (Q>=1, 2) points, got {line.shape}")
    if len(line) == 1:
        return np.hypot(*(pts - line[0]).T)
    a, b = line[:-1], line[1:]
    ab = b - a
    den = np.maximum((ab**2).sum(1), 1e-12)
    best = np.full(len(pts), np.inf)
    for start in range(0, len(pts), 512):
        q = pts[start : start + 512, None, :]
        t = np.clip(((q - a) * ab).sum(-1) / den, 0.0, 1.0)
        d = np.hypot(*(q - (a + t[..., None] * ab)).transpose(2, 0, 1)).min(1)
        best[start : start + 512] = d
    return best


def coverage_matrix(labels: list, predictions: list, *, tolerance: float = 5.0) -> np.ndarray:
    """(L, P) fraction of each label's points within ``tolerance`` px of each prediction."""
    out = np.zeros((len(labels), len(predictions)))
    for j, pred in enumerate(predictions):
        for i, lab in enumerate(labels):
            out[i, j] = float(np.mean(point_to_polyline(lab, pred) <= tolerance))
    return out


@dataclass(frozen=True)
class CoverageMatch:
    n_labels: int
    n_predictions: int
    matched: int
    recall: float
    precision: float
    pairs: tuple  # (label index, prediction index, coverage)
    tolerance: float
    min_coverage: float


def match_by_coverage(
    labels: list, predictions: list, *, tolerance: float = 5.0, min_coverage: float = 0.5
) -> CoverageMatch:
    """One-to-one matching of hand-drawn centre lines to predicted curves.

    Parameters
    ----------
    labels, predictions
        Lists of (P, 2) ``x, y`` point arrays (labels: densely sampled, e.g.
        skeleton pixels of a stroke; predictions: curves, any sampling).
    tolerance
        Distance in px within which a label point counts as covered.
    min_coverage
        Smallest covered fraction of a label for a match.

    Returns
    -------
    CoverageMatch; recall is 1.0 without labels, precision 1.0 without predictions.
    """
    if tolerance <= 0 or not 0 < min_coverage <= 1:
        raise ValueError("tolerance must be > 0 and min_coverage in (0, 1]")
    cov = coverage_matrix(labels, predictions, tolerance=tolerance)
    pairs = [(r, c, float(cov[r, c])) for r, c in assign_pairs(cov, min_coverage)]
    n_l, n_p, m = len(labels), len(predictions), len(pairs)
    return CoverageMatch(
        n_labels=n_l,
        n_predictions=n_p,
        matched=m,
        recall=m / n_l if n_l else 1.0,
        precision=m / n_p if n_p else 1.0,
        pairs=tuple(pairs),
        tolerance=tolerance,
        min_coverage=min_coverage,
    )
