"""Strict JSON: every file this package writes parses with any JSON reader.

Python's ``json`` writes NaN and infinities as bare ``NaN`` / ``Infinity``,
which strict parsers (JavaScript, jq, Go, ...) reject. :func:`dumps` writes
them as ``null`` ("no value") instead and refuses anything else that is not
JSON (``allow_nan=False``).
"""

from __future__ import annotations

import json
import math

import numpy as np

__all__ = ["dumps", "finite"]


def finite(obj):
    """``obj`` with every non-finite float (also NumPy scalars) replaced by None."""
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return finite(obj.tolist())
    return obj


def dumps(obj, **kwargs) -> str:
    """:func:`json.dumps` of :func:`finite` ``(obj)`` with ``allow_nan=False``."""
    return json.dumps(finite(obj), allow_nan=False, **kwargs)
