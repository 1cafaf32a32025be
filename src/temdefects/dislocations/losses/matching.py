"""One-to-one matching of target masks to predicted channels, on numpy cost matrices."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from temdefects.dislocations.losses._checks import MATCHING_METHODS, Matching, Pairs, _check_choice


def match(cost: np.ndarray, *, method: Matching) -> Pairs:
    """Match targets (rows) to predictions (columns) of a cost matrix.

    Parameters
    ----------
    cost : ndarray
        Finite cost (for instance Dice loss) of each target/prediction pair.
    method : {"greedy", "hungarian"}
        ``"greedy"`` follows Algorithm 1 of Govind et al. (2023): rows in
        order each take the cheapest remaining column, ties going to the lowest
        column index. ``"hungarian"`` minimises the total cost.

    Returns
    -------
    list of (int, int)
        ``(target_index, pred_index)`` pairs sorted by target index;
        ``min(M, N)`` of them. With ``M > N`` greedy matches the first ``N``
        rows, hungarian the ``N`` rows of lowest total cost.

    Shape
    -----
    cost : (M, N)

    Raises
    ------
    ValueError
        If ``cost`` is not a finite 2D array or ``method`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.array([[0.1, 0.2], [0.15, 0.9]])
    >>> match(cost, method="greedy")
    [(0, 0), (1, 1)]
    >>> match(cost, method="hungarian")
    [(0, 1), (1, 0)]
    """
    _check_choice("method", method, MATCHING_METHODS)
    cost = np.asarray(cost, dtype=np.float64)
    if cost.ndim != 2:
        raise ValueError(f"cost must be a 2D (M, N) array; got shape {cost.shape}")
    if not np.all(np.isfinite(cost)):
        raise ValueError("cost must be finite (no NaN or inf)")
    if method == "hungarian":
        rows, cols = linear_sum_assignment(cost)
        return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True)]
    n_targets, n_preds = cost.shape
    free = np.ones(n_preds, dtype=bool)
    pairs: Pairs = []
    for i in range(min(n_targets, n_preds)):
        j = int(np.argmin(np.where(free, cost[i], np.inf)))  # first minimum: lowest index
        free[j] = False
        pairs.append((i, j))
    return pairs
