"""Input checks shared by the geometry functions.

Each check returns a clean array or raises with a message that says what was
expected and what arrived, so a wrong shape fails at the door rather than deep
inside scipy.
"""

from __future__ import annotations

import math

import numpy as np


def as_binary_mask(mask: np.ndarray, *, threshold: float = 0.5, name: str = "mask") -> np.ndarray:
    """Return ``mask`` as a 2-D bool array.

    Bool arrays pass through, integer arrays are foreground where nonzero, and
    floating-point arrays (e.g. predicted probabilities) are foreground where
    strictly greater than ``threshold`` (the 0.5 of Govind et al., sec. 6.4).

    Raises
    ------
    ValueError
        If the array is not 2-D, holds NaN, or ``threshold`` is not finite.
    TypeError
        If the dtype is not bool, integer or floating point.
    """
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (H, W), got ndim={arr.ndim} with shape {arr.shape}"
        )
    if arr.dtype == bool:
        return arr
    if np.issubdtype(arr.dtype, np.integer):
        return arr != 0
    if np.issubdtype(arr.dtype, np.floating):
        if not math.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number, got {threshold!r}")
        if np.isnan(arr).any():
            raise ValueError(f"{name} contains NaN; expected probabilities or 0/1 values")
        return arr > threshold
    raise TypeError(f"{name} must have a bool, integer or float dtype, got {arr.dtype}")


def as_points(points: np.ndarray, *, name: str = "points") -> np.ndarray:
    """Return ``points`` as a float64 ``(P, 2)`` array of finite ``(x, y)`` values.

    Raises
    ------
    ValueError
        If the shape is not ``(P, 2)`` or a value is not finite.
    TypeError
        If the dtype is neither integer nor floating point.
    """
    arr = np.asarray(points)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must be a (P, 2) array of (x, y), got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"{name} must have an integer or float dtype, got {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def _int_at_least(value: int, name: str, minimum: int, kind: str) -> int:
    """``value`` as a Python int >= ``minimum``.

    Raises
    ------
    TypeError
        ``<name> must be <kind>`` for a bool or a non-integer.
    ValueError
        ``<name> must be >= <minimum>`` for a smaller integer.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def as_min_size(min_size: int) -> int:
    """Return ``min_size`` as a non-negative Python int."""
    return _int_at_least(min_size, "min_size", 0, "an integer number of pixels")


def as_n_points(n_points: int) -> int:
    """Return ``n_points`` as a Python int of at least 2."""
    return _int_at_least(n_points, "n_points", 2, "an integer")
