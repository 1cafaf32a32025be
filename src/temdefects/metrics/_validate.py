"""Input checks shared by the metrics: shapes, dtypes and value ranges.

Every public metric calls these first, so a wrong array fails with a message
that names the argument and says what was expected instead of failing deep
inside numpy or scikit-image.
"""

from __future__ import annotations

import numbers

import numpy as np


def _as_real_array(a: object, name: str) -> np.ndarray:
    arr = np.asarray(a)
    if (
        arr.dtype != bool
        and not np.issubdtype(arr.dtype, np.integer)
        and not np.issubdtype(arr.dtype, np.floating)
    ):
        raise ValueError(f"{name} must be a bool, integer or float array, got dtype {arr.dtype}")
    return arr


def _check_ndim(arr: np.ndarray, ndim: int, name: str, layout: str) -> None:
    if arr.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array of shape {layout}, "
            f"got {arr.ndim}-D array of shape {arr.shape}"
        )


def binary(a: object, name: str, *, ndim: int, layout: str) -> np.ndarray:
    """Return ``a`` as a bool array after checking ``ndim`` and that it holds only 0 and 1.

    Accepts bool, integer and float arrays; any value other than 0 or 1 is an
    error (probabilities must be thresholded by the caller first).
    """
    arr = _as_real_array(a, name)
    _check_ndim(arr, ndim, name, layout)
    if arr.dtype == bool:
        return arr
    if arr.size:
        if np.issubdtype(arr.dtype, np.unsignedinteger):
            ok = arr.max() <= 1
        elif np.issubdtype(arr.dtype, np.integer):
            ok = arr.min() >= 0 and arr.max() <= 1
        else:
            ok = bool(np.all((arr == 0) | (arr == 1)))
        if not ok:
            raise ValueError(
                f"{name} must be binary (bool, or numbers that are all 0 or 1); "
                f"threshold probabilities before passing them"
            )
    return arr.astype(bool)


def binary_stacks(
    pred: object, true: object, *, pred_layout: str = "(N, H, W)"
) -> tuple[np.ndarray, np.ndarray]:
    """``pred`` and ``true`` as bool (K, H, W) and (M, H, W) stacks of one image size.

    The checks of :func:`binary` for each, then :func:`same_image_shape`.
    """
    p = binary(pred, "pred", ndim=3, layout=pred_layout)
    t = binary(true, "true", ndim=3, layout="(M, H, W)")
    same_image_shape(p, t, ("pred", "true"))
    return p, t


def probabilities(a: object, name: str) -> np.ndarray:
    """Return ``a`` (N, H, W) unchanged after checking that its values lie in [0, 1]."""
    arr = _as_real_array(a, name)
    _check_ndim(arr, 3, name, "(N, H, W)")
    if arr.size and arr.dtype != bool:
        lo, hi = arr.min(), arr.max()
        # NaN makes both comparisons False, so it is caught here too.
        if not (lo >= 0 and hi <= 1):
            raise ValueError(
                f"{name} must hold probabilities in [0, 1] without NaN, got values in [{lo}, {hi}]"
            )
    return arr


def same_image_shape(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    """Check that two stacks (or images) share their last two dimensions (H, W)."""
    if a.shape[-2:] != b.shape[-2:]:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same image size (H, W), "
            f"got {a.shape[-2:]} and {b.shape[-2:]}"
        )


def unit_interval(value: object, name: str, *, open_low: bool = False) -> float:
    """Check a threshold: a real number in [0, 1] (or (0, 1] with ``open_low``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    low_ok = v > 0 if open_low else v >= 0
    if not (low_ok and v <= 1):
        interval = "(0, 1]" if open_low else "[0, 1]"
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return v


def non_negative_int(value: object, name: str) -> int:
    """Check a count such as ``min_size``: an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)
