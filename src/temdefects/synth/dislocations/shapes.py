"""Libraries of normalised dislocation shapes.

A shape is a polyline from ``(0, 0)`` to ``(1, 0)``: ``x`` runs along the chord
between the two slip traces, ``y`` is the lateral bulge in units of the chord
length. The generator places it between a pile-up's slip traces and fits a
cubic spline through its points. Shapes come from the built-in set below (typical
line forms of pile-ups: bowed, skewed, S-shaped, pinned, hooked) or from hand
annotations (labelme line strips, lines or polygons) via :func:`from_labelme`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from temdefects.errors import InputFileError
from temdefects.io import jsonfile as strict_json
from temdefects.io.atomic import atomic_write_text

FORMAT = "temdefects.shapes/1"
MAX_SUPPORT_POINTS = 24


def _builtin() -> dict[str, np.ndarray]:
    s = np.linspace(0.0, 1.0, 13)
    shapes = {
        "bow": 0.25 * 4 * s * (1 - s),
        "shallow-bow": 0.08 * 4 * s * (1 - s),
        "deep-bow": 0.45 * 4 * s * (1 - s),
        "skewed-bow": 0.3 * (s * (1 - s) ** 0.45) / 0.405,
        "s-curve": 0.12 * np.sin(2 * np.pi * s),
        "pinned": 0.14 * np.abs(np.sin(2 * np.pi * s)),
        "wavy-bow": 0.18 * 4 * s * (1 - s) + 0.04 * np.sin(4 * np.pi * s),
        "hook": 0.35 * np.sin(np.pi * s**0.55) * (1 - s) ** 0.3,
        "plateau": 0.22 * np.clip(1.6 * np.sin(np.pi * s), 0, 1),
        "straight": np.zeros_like(s),
    }
    return {name: np.column_stack([s, y]) for name, y in shapes.items()}


BUILTIN = _builtin()


def normalise(points: np.ndarray, *, max_points: int = MAX_SUPPORT_POINTS) -> np.ndarray:
    """Map a polyline to the chord ``(0, 0) -> (1, 0)``.

    The vertices are kept (hand-clicked points are the spline's support points);
    a polyline with more than ``max_points`` vertices is resampled to that many
    points evenly spaced in arc length. Normalising twice changes nothing.

    Parameters
    ----------
    points
        (P, 2) array of ``x, y`` coordinates, P >= 2.
    max_points
        Largest number of output points.

    Raises
    ------
    ValueError
        If the polyline has fewer than 2 points or its ends coincide.
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 2:
        raise ValueError(f"shape: expected (P>=2, 2) points, got {pts.shape}")
    chord = pts[-1] - pts[0]
    length = float(np.hypot(*chord))
    if length < 1e-9:
        raise ValueError("shape: the two ends of the polyline coincide")
    c, s = chord / length
    rel = pts - pts[0]
    x = (rel[:, 0] * c + rel[:, 1] * s) / length
    y = (-rel[:, 0] * s + rel[:, 1] * c) / length
    out = np.column_stack([x, y])
    seg = np.hypot(*np.diff(out, axis=0).T)
    keep = np.concatenate([[True], seg > 1e-9])
    out, seg = out[keep], seg[seg > 1e-9]
    out[0], out[-1] = (0.0, 0.0), (1.0, 0.0)
    if len(out) <= max_points:
        return out
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0.0, arc[-1], max_points)
    return np.column_stack([np.interp(t, arc, out[:, 0]), np.interp(t, arc, out[:, 1])])


def load_library(source: str | os.PathLike | None) -> dict[str, np.ndarray]:
    """Shapes by name: ``'builtin'``, a library JSON written by :func:`save_library`, or None."""
    if source is None:
        return {}
    if str(source) == "builtin":
        return dict(BUILTIN)
    path = Path(source)
    if not path.is_file():
        raise InputFileError(f"{path}: shape library not found")
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"expected format {FORMAT!r}")
        shapes = {str(s["name"]): normalise(np.asarray(s["points"], float)) for s in data["shapes"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputFileError(f"{path}: not a valid shape library ({exc})") from None
    if not shapes:
        raise InputFileError(f"{path}: shape library is empty")
    return shapes


def save_library(
    path: str | os.PathLike, shapes: dict[str, np.ndarray], *, sources: dict[str, str] | None = None
) -> Path:
    """Write shapes as a library JSON (atomically)."""
    items = []
    for name, pts in shapes.items():
        item = {"name": name, "points": np.round(np.asarray(pts, float), 6).tolist()}
        if sources and name in sources:
            item["source"] = sources[name]
        items.append(item)
    text = strict_json.dumps({"format": FORMAT, "shapes": items}, indent=1)
    return atomic_write_text(path, text + "\n")


def from_labelme(
    path: str | os.PathLike, *, labels: set[str] | None = None, min_length: float = 10.0
) -> dict[str, np.ndarray]:
    """Normalised shapes from the line strips, lines and polygons of a labelme JSON.

    Parameters
    ----------
    path
        A labelme annotation file.
    labels
        Keep only shapes with these labels (all when None).
    min_length
        Skip annotations whose chord is shorter than this many pixels.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text("utf-8"))
        annotations = data["shapes"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputFileError(f"{path}: not a labelme annotation ({exc})") from None
    out = {}
    for i, shape in enumerate(annotations):
        if shape.get("shape_type", "polygon") not in ("linestrip", "line", "polygon"):
            continue
        if labels is not None and shape.get("label") not in labels:
            continue
        pts = np.asarray(shape.get("points", []), float)
        if pts.ndim != 2 or len(pts) < 2:
            continue
        if np.hypot(*(pts[-1] - pts[0])) < min_length:
            continue
        out[f"{path.stem}:{i}"] = normalise(pts)
    return out
