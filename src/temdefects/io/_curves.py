"""Checks shared by the curve writers (labelme JSON, ImageJ ROI sets)."""

from __future__ import annotations

import numpy as np


def check_curve(points: object, i: int) -> np.ndarray:
    """``curves[i]`` as a finite (P, 2) float64 array of ``x, y`` with P >= 2.

    Raises
    ------
    ValueError
        Naming ``curves[i]``, for another shape or a non-finite coordinate.

    Examples
    --------
    >>> check_curve([[0, 0], [3, 4]], 0).dtype
    dtype('float64')
    """
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 2:
        raise ValueError(
            f"curves[{i}]: expected a (P, 2) array of x, y with P >= 2, got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"curves[{i}]: coordinates must be finite")
    return arr
