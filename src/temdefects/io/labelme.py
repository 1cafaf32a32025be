"""labelme JSON annotations: write curves, read shapes, render shapes as masks.

Coordinates follow labelme and OpenCV: ``x`` is the column and ``y`` the row,
in pixels, with the centre of pixel ``(row=0, col=0)`` at ``(0, 0)``. Files
written here open in labelme 5.x (``linestrip`` shapes, no embedded image).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np

from temdefects.errors import InputFileError
from temdefects.io._curves import check_curve
from temdefects.io.atomic import atomic_write_json

LABELME_VERSION = "5.5.0"
SHAPE_TYPES = ("linestrip", "line", "polygon", "rectangle", "circle", "point")
_MIN_POINTS = {"linestrip": 2, "line": 2, "polygon": 3, "rectangle": 2, "circle": 2, "point": 1}
_STANDARD_KEYS = {
    "version",
    "flags",
    "shapes",
    "imagePath",
    "imageData",
    "imageHeight",
    "imageWidth",
}
_SHIFT = 4  # fractional bits of the fixed-point coordinates given to OpenCV


class LabelmeShape(NamedTuple):
    """One labelme shape: its label, its type and its (P, 2) float64 ``x, y`` points."""

    label: str
    shape_type: str
    points: np.ndarray


@dataclass(frozen=True, eq=False)
class LabelmeDoc:
    """A labelme file's content.

    Attributes
    ----------
    image_path
        The image file, resolved against the JSON file's folder; ``None`` if absent.
    shape
        ``(height, width)`` from ``imageHeight``/``imageWidth``, or ``None``.
    shapes
        The shapes in file order.
    """

    image_path: Path | None
    shape: tuple[int, int] | None
    shapes: list[LabelmeShape]


def write_labelme(
    path: str | os.PathLike,
    curves: Sequence[np.ndarray],
    *,
    image_path: str | os.PathLike,
    image_shape: tuple[int, int],
    label: str | Sequence[str] = "dislocation",
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write curves as labelme ``linestrip`` shapes, atomically.

    Parameters
    ----------
    path
        Destination ``.json`` file; its folder must exist.
    curves
        (P, 2) arrays of ``x`` (column), ``y`` (row) pixel coordinates, P >= 2.
    image_path
        The annotated image; stored relative to the JSON file's folder when possible.
    image_shape
        ``(height, width)`` of the image in pixels.
    label
        One label for all curves, or one per curve.
    extra
        Further top-level keys (labelme keeps unknown keys); must not
        replace a standard key and must be JSON serialisable.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        For malformed curves, shape, labels or ``extra`` keys.
    """
    path = Path(path)
    arrays = [check_curve(c, i) for i, c in enumerate(curves)]
    labels = [label] * len(arrays) if isinstance(label, str) else list(label)
    if len(labels) != len(arrays) or not all(isinstance(x, str) and x for x in labels):
        raise ValueError(f"label must be a non-empty string or {len(arrays)} non-empty strings")
    height, width = _check_shape(image_shape)
    extra = dict(extra or {})
    clash = sorted(_STANDARD_KEYS & extra.keys())
    if clash:
        raise ValueError(f"extra must not replace standard labelme keys: {clash}")
    doc: dict[str, Any] = {
        "version": LABELME_VERSION,
        "flags": {},
        "shapes": [
            {
                "label": name,
                "points": arr.tolist(),
                "group_id": None,
                "description": "",
                "shape_type": "linestrip",
                "flags": {},
            }
            for name, arr in zip(labels, arrays, strict=True)
        ],
        "imagePath": _relative_image_path(Path(image_path), path.parent),
        "imageData": None,
        "imageHeight": height,
        "imageWidth": width,
        **extra,
    }
    return atomic_write_json(path, doc, indent=2)


def _check_shape(shape: object) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in shape)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"image shape must be (height, width), got {shape!r}") from None
    if height < 1 or width < 1:
        raise ValueError(f"image shape must be positive, got {shape!r}")
    return height, width


def _relative_image_path(image: Path, folder: Path) -> str:
    try:
        return Path(os.path.relpath(image.absolute(), folder.absolute())).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return image.absolute().as_posix()


def read_labelme(path: str | os.PathLike) -> LabelmeDoc:
    """Read a labelme JSON file.

    Raises
    ------
    InputFileError
        If the file is missing, not JSON, or holds a malformed or unsupported shape
        (supported: linestrip, line, polygon, rectangle, circle, point).
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{path}: not a readable labelme JSON file ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("shapes"), list):
        raise InputFileError(f"{path}: not a labelme file (no 'shapes' list)")
    shapes = [_parse_shape(path, i, s) for i, s in enumerate(doc["shapes"])]
    image = doc.get("imagePath")
    image_path = path.parent / image if isinstance(image, str) and image else None
    height, width = doc.get("imageHeight"), doc.get("imageWidth")
    shape = None
    if isinstance(height, int) and isinstance(width, int) and height > 0 and width > 0:
        shape = (height, width)
    return LabelmeDoc(image_path=image_path, shape=shape, shapes=shapes)


def _parse_shape(path: Path, i: int, shape: object) -> LabelmeShape:
    if not isinstance(shape, dict):
        raise InputFileError(f"{path}: shape {i} is not an object")
    kind = shape.get("shape_type") or "polygon"  # labelme < 4 had no shape_type
    if kind not in SHAPE_TYPES:
        raise InputFileError(
            f"{path}: shape {i} has unsupported type {kind!r} (supported: {', '.join(SHAPE_TYPES)})"
        )
    try:
        points = np.asarray(shape.get("points"), dtype=np.float64)
    except (TypeError, ValueError):
        raise InputFileError(f"{path}: shape {i} has non-numeric points") from None
    if points.ndim != 2 or points.shape[1] != 2 or len(points) < _MIN_POINTS[kind]:
        raise InputFileError(
            f"{path}: shape {i} ({kind}) needs at least "
            f"{_MIN_POINTS[kind]} [x, y] points, got shape {points.shape}"
        )
    if not np.isfinite(points).all():
        raise InputFileError(f"{path}: shape {i} has non-finite points")
    return LabelmeShape(str(shape.get("label", "")), kind, points)


def labelme_to_masks(
    doc_or_path: LabelmeDoc | str | os.PathLike,
    *,
    shape: tuple[int, int] | None = None,
    width: float = 5,
    labels: Iterable[str] | None = None,
) -> np.ndarray:
    """Render each shape as one boolean mask.

    Lines (``linestrip``, ``line``) cover every pixel whose centre lies within
    ``width / 2`` of the polyline (exact sub-pixel distances, the rule of the
    synthetic masks); ``polygon``, ``rectangle`` and ``circle`` are filled
    with OpenCV; a ``point`` is a disc of diameter ``width``.

    Parameters
    ----------
    doc_or_path
        A :class:`LabelmeDoc` or the path of a labelme JSON file.
    shape
        ``(height, width)`` of the masks; defaults to the document's image size.
    width
        Line width in pixels (> 0).
    labels
        Keep only shapes with one of these labels; all shapes when ``None``.

    Returns
    -------
    numpy.ndarray
        ``(K, H, W)`` bool, one mask per kept shape in file order.
    """
    doc = doc_or_path if isinstance(doc_or_path, LabelmeDoc) else read_labelme(doc_or_path)
    if (
        isinstance(width, bool)
        or not isinstance(width, (int, float, np.number))
        or not (0 < width < np.inf)
    ):
        raise ValueError(f"width must be a number of pixels > 0, got {width!r}")
    if shape is None and doc.shape is None:
        raise ValueError("the labelme file gives no image size: pass shape=(height, width)")
    height, img_width = _check_shape(shape if shape is not None else doc.shape)
    wanted = None if labels is None else set(labels)
    kept = [s for s in doc.shapes if wanted is None or s.label in wanted]
    masks = np.zeros((len(kept), height, img_width), dtype=bool)
    canvas = np.zeros((height, img_width), dtype=np.uint8)
    for k, item in enumerate(kept):
        canvas[:] = 0
        _draw(canvas, item, float(width))
        masks[k] = canvas > 0
    return masks


def _draw(canvas: np.ndarray, item: LabelmeShape, width: float) -> None:
    kind = item.shape_type
    if kind in ("linestrip", "line"):
        _band(canvas, item.points, width / 2.0)
        return
    if kind == "point":
        _band(canvas, item.points[:1], width / 2.0)
        return
    scale = 1 << _SHIFT
    pts = np.round(item.points * scale).astype(np.int32)
    if kind == "polygon":
        cv2.fillPoly(canvas, [pts], 1, lineType=cv2.LINE_8, shift=_SHIFT)
    elif kind == "rectangle":
        corners = np.array([pts[0], [pts[1][0], pts[0][1]], pts[1], [pts[0][0], pts[1][1]]])
        cv2.fillPoly(canvas, [corners.astype(np.int32)], 1, lineType=cv2.LINE_8, shift=_SHIFT)
    else:  # circle: centre and a point on the circumference
        radius = int(round(float(np.hypot(*(pts[1] - pts[0])))))
        cv2.circle(canvas, tuple(int(v) for v in pts[0]), radius, 1, -1, cv2.LINE_8, _SHIFT)


def _band(canvas: np.ndarray, points: np.ndarray, radius: float) -> None:
    """Set every pixel whose centre lies within ``radius`` of the polyline.

    Exact point-to-segment distances, segment by segment on each segment's
    bounding box, so a width of 5 gives 5 px across a straight line (the
    same rule as the synthetic masks); OpenCV's thick lines come out wider.
    """
    height, width = canvas.shape
    segments = (
        zip(points[:-1], points[1:], strict=True) if len(points) > 1 else [(points[0], points[0])]
    )
    for a, b in segments:
        lo = np.floor(np.minimum(a, b) - radius).astype(int)
        hi = np.ceil(np.maximum(a, b) + radius).astype(int)
        x0, y0 = max(lo[0], 0), max(lo[1], 0)
        x1, y1 = min(hi[0], width - 1), min(hi[1], height - 1)
        if x1 < x0 or y1 < y0:
            continue
        yy, xx = np.mgrid[y0 : y1 + 1, x0 : x1 + 1]
        d = b - a
        length2 = float(d @ d)
        px, py = xx - a[0], yy - a[1]
        t = np.clip((px * d[0] + py * d[1]) / length2, 0.0, 1.0) if length2 > 0 else 0.0
        inside = (px - t * d[0]) ** 2 + (py - t * d[1]) ** 2 <= radius * radius + 1e-9
        canvas[y0 : y1 + 1, x0 : x1 + 1] |= inside.astype(np.uint8)
