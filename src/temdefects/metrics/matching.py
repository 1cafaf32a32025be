"""One-to-one matching of predicted and true instance masks (StarDist style).

Predicted and true masks are paired by :func:`scipy.optimize.linear_sum_assignment`
on a registered score matrix (Dice or IoU); a pair scoring below the threshold
is no match. Empty masks take no part: an empty prediction is "no
dislocation", an empty true mask is padding.

Conventions for ratios with a zero denominator: 0/0 counts as 1.0 (nothing to
find and nothing found is perfect). Hence with no predictions precision is 1.0
and recall is 0.0 when there are truths; with no truths recall is 1.0 and
precision is 0.0 when there are predictions; F1 = 2 TP / (2 TP + FP + FN)
follows the same rule and equals the harmonic mean of precision and recall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from temdefects.metrics import _validate
from temdefects.metrics.overlap import get_criterion

__all__ = [
    "InstanceMatch",
    "assign_pairs",
    "detection_counts",
    "match_instances",
    "safe_ratio",
]


def safe_ratio(num: float, den: float) -> float:
    """``num / den`` with 0/0 defined as 1.0 (the convention of this package)."""
    return 1.0 if den == 0 else float(num) / float(den)


def detection_counts(n_pred: int, n_true: int, tp: int) -> dict:
    """Counts and rates of ``tp`` matches among ``n_pred`` predictions and ``n_true`` truths.

    Returns
    -------
    dict
        ``n_pred``, ``n_true``, ``tp``, ``fp``, ``fn`` (int) and ``precision``,
        ``recall``, ``f1`` (float, 1.0 for 0/0, see :func:`safe_ratio`).

    Examples
    --------
    >>> detection_counts(4, 2, 2)["precision"], detection_counts(0, 0, 0)["f1"]
    (0.5, 1.0)
    """
    fp, fn = n_pred - tp, n_true - tp
    return {
        "n_pred": int(n_pred),
        "n_true": int(n_true),
        "tp": int(tp),
        "fp": int(fp),
        "fn": int(fn),
        "precision": safe_ratio(tp, n_pred),
        "recall": safe_ratio(tp, n_true),
        "f1": safe_ratio(2 * tp, 2 * tp + fp + fn),
    }


@dataclass(frozen=True)
class InstanceMatch:
    """Result of :func:`match_instances`.

    Attributes
    ----------
    criterion, threshold
        The score used and the minimum score of a match.
    n_pred, n_true
        Non-empty predicted and true masks.
    tp, fp, fn
        Matched pairs, unmatched predictions, unmatched truths.
    precision, recall, f1
        ``tp / n_pred``, ``tp / n_true``, ``2 tp / (2 tp + fp + fn)``, each
        1.0 when its denominator is 0.
    pairs
        ``(pred_index, true_index, score)`` per match, indices into the input
        stacks, sorted by true index.
    mean_matched_score
        Mean score of the pairs; 0.0 without pairs.
    duplicates
        Unmatched non-empty predictions reaching ``threshold`` against a true
        mask that is matched: second copies of a dislocation already found.
    duplicate_rate
        ``duplicates / n_pred``; 0.0 when ``n_pred`` is 0.
    """

    criterion: str
    threshold: float
    n_pred: int
    n_true: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    pairs: tuple[tuple[int, int, float], ...]
    mean_matched_score: float
    duplicates: int
    duplicate_rate: float


def assign_pairs(scores: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Row/column pairs with ``scores >= threshold``, one-to-one, maximising first
    the number of matches, then their total score.

    The one assignment every matching of the project uses (masks, curves, boxes,
    particle labels), so that a threshold never costs a match that another
    pairing would have kept.

    Examples
    --------
    >>> import numpy as np
    >>> assign_pairs(np.array([[0.9, 0.6], [0.7, 0.0]]), 0.5)
    [(0, 1), (1, 0)]
    """
    if scores.size == 0:
        return []
    valid = scores >= threshold
    n = min(scores.shape)
    # Each match weighs 1 plus at most 1/(2n), so n score terms add up to less
    # than one extra match: the count of matches always wins.
    gain = np.where(valid, 1.0 + scores / (2.0 * n), 0.0)
    rows, cols = linear_sum_assignment(gain, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if valid[r, c]]


def match_instances(
    pred: np.ndarray,
    true: np.ndarray,
    *,
    threshold: float = 0.5,
    criterion: str = "dice",
) -> InstanceMatch:
    """Match predicted to true instance masks one-to-one.

    Parameters
    ----------
    pred : ndarray (K, H, W)
        Binary predicted masks (bool, or numbers that are all 0 or 1);
        threshold probabilities first. Empty masks are ignored.
    true : ndarray (M, H, W)
        Binary true masks; empty (padding) masks are ignored.
    threshold : float
        Minimum score, in (0, 1], of a matched pair.
    criterion : str
        Name of the pairwise score in :data:`temdefects.metrics.CRITERIA`:
        ``"dice"`` or ``"iou"``.

    Returns
    -------
    InstanceMatch
        Counts, rates, pairs and duplicates (see the module for 0/0 rules).

    Raises
    ------
    ValueError
        If a stack is not 3-D or not binary, the image sizes differ, the
        threshold is outside (0, 1] or the criterion is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.zeros((1, 8, 8), bool); t[0, 4, 1:7] = True
    >>> m = match_instances(np.concatenate([t, t]), t)
    >>> m.tp, m.fp, m.duplicates
    (1, 1, 1)
    """
    get_criterion(criterion)  # unknown names fail before any work
    threshold = _validate.unit_interval(threshold, "threshold", open_low=True)
    p, t = _validate.binary_stacks(pred, true, pred_layout="(K, H, W)")
    return _match_valid(p, t, threshold=threshold, criterion=criterion)


def _match_valid(
    p: np.ndarray,
    t: np.ndarray,
    *,
    threshold: float,
    criterion: str,
    scores: np.ndarray | None = None,
) -> InstanceMatch:
    """:func:`match_instances` on validated bool stacks.

    ``scores`` is the (K, M) matrix of ``criterion`` when already computed.
    """
    if scores is None:
        scores = get_criterion(criterion)(p, t)
    pi = np.flatnonzero(p.any(axis=(1, 2)))
    ti = np.flatnonzero(t.any(axis=(1, 2)))
    scores = scores[np.ix_(pi, ti)]
    matched = sorted(assign_pairs(scores, threshold), key=lambda rc: rc[1])
    pairs = tuple((int(pi[r]), int(ti[c]), float(scores[r, c])) for r, c in matched)

    n_pred = len(pi)
    used_rows = {r for r, _ in matched}
    found_cols = [c for _, c in matched]
    duplicates = 0
    if found_cols:
        reach = (scores[:, found_cols] >= threshold).any(axis=1)
        duplicates = sum(1 for r in range(n_pred) if reach[r] and r not in used_rows)
    return InstanceMatch(
        criterion=criterion,
        threshold=threshold,
        **detection_counts(n_pred, len(ti), len(pairs)),
        pairs=pairs,
        mean_matched_score=float(np.mean([s for *_, s in pairs])) if pairs else 0.0,
        duplicates=duplicates,
        duplicate_rate=duplicates / n_pred if n_pred else 0.0,
    )
