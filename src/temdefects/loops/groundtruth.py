"""Readers of hand-labelled loops into :class:`~temdefects.loops.defects.Defects`.

Formats (``format`` names used by :func:`read_truth` and the command line):

``boxes``
    One text file per image, one box per line as ``ymin xmin ymax xmax`` in
    px (ChainerCV order, as in Li et al. 2018); a single class, ``loop111``
    unless told otherwise. No ellipses.
``coco``
    A COCO detection JSON such as ``annotations.json`` of ``temdefects loops
    synth``: ``bbox`` ``[x, y, w, h]``, category names as classes, an
    ``ellipse`` ``[cx, cy, major, minor, angle]`` when present (COCO's
    continuous coordinates, shifted by -0.5 to pixel centres), otherwise the
    ellipse of the polygons' second moments. Images are keyed by the stem of
    ``file_name`` and carry their size.
``yolo``
    One text file per image, one polygon per line as ``class x1 y1 x2 y2 ...``
    normalised to [0, 1] (YOLO segmentation); needs the image size. The
    class index selects a name from ``classes`` (default ``loop111, loop100,
    dot``). Box = polygon extent, ellipse = polygon moments.
``imagej``
    One ImageJ results CSV per image with the measurements ``X, Y, Major,
    Minor, Angle, BX, BY, Width, Height`` (Fit ellipse + Bounding rectangle)
    and an optional ``class`` column. ImageJ's angle runs counter-clockwise
    on screen and its centroid puts pixel corners at integers; both are
    converted. Calibrated results are divided by ``scale`` (units per px).

A ``class_map`` renames classes (``{"hcloop": "loop111"}``) before they are
checked against ``loop111, loop100, dot``.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from temdefects.errors import InputFileError
from temdefects.loops.defects import CLASSES, Defects

__all__ = [
    "IMAGE_SUFFIXES",
    "TRUTH_FORMATS",
    "TruthSet",
    "detect_truth_format",
    "image_shapes",
    "polygon_ellipse",
    "read_box_txt",
    "read_coco",
    "read_imagej_csv",
    "read_truth",
    "read_yolo_polygons",
]

TRUTH_FORMATS = ("boxes", "coco", "yolo", "imagej")
IMAGEJ_COLUMNS = ("x", "y", "major", "minor", "angle", "bx", "by", "width", "height")


@dataclass(frozen=True)
class TruthSet:
    """Ground truth of a set of images.

    Attributes
    ----------
    defects : dict
        Image stem -> :class:`Defects`.
    shapes : dict
        Image stem -> ``(height, width)`` where known.
    format : str
        The format read (one of :data:`TRUTH_FORMATS`).
    """

    defects: dict[str, Defects]
    shapes: dict[str, tuple[int, int]] = field(default_factory=dict)
    format: str = ""


def _rename(name: str, class_map: Mapping[str, str] | None, where: str) -> str:
    name = class_map.get(name, name) if class_map else name
    if name not in CLASSES:
        raise InputFileError(
            f"{where}: unknown class {name!r} (expected one of {', '.join(CLASSES)}; "
            "rename it with a class map)"
        )
    return name


def _numbers(tokens: Sequence[str], where: str) -> list[float]:
    try:
        values = [float(t) for t in tokens]
    except ValueError:
        raise InputFileError(f"{where}: expected numbers, got {' '.join(tokens)!r}") from None
    if not all(np.isfinite(values)):
        raise InputFileError(f"{where}: non-finite number in {' '.join(tokens)!r}")
    return values


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read ({exc})") from None


def _check_box(box: Sequence[float], where: str) -> None:
    if box[2] <= 0 or box[3] <= 0:
        raise InputFileError(f"{where}: empty box (width {box[2]:g}, height {box[3]:g})")


def read_box_txt(path: str | os.PathLike, *, cls: str = "loop111") -> Defects:
    """Boxes ``ymin xmin ymax xmax`` per line (Li et al. 2018), all of class ``cls``.

    Blank lines are skipped.

    Raises
    ------
    InputFileError
        For a missing file or a line without four numbers or with an empty box,
        naming the file and line.
    """
    path = Path(path)
    cls = _rename(cls, None, f"{path}")
    boxes = []
    for n, line in enumerate(_read_lines(path), start=1):
        tokens = line.replace(",", " ").split()
        if not tokens:
            continue
        where = f"{path}:{n}"
        if len(tokens) != 4:
            raise InputFileError(f"{where}: expected 4 numbers 'ymin xmin ymax xmax', got {line!r}")
        ymin, xmin, ymax, xmax = _numbers(tokens, where)
        box = [xmin, ymin, xmax - xmin, ymax - ymin]
        _check_box(box, where)
        boxes.append(box)
    return Defects.from_lists(boxes, [cls] * len(boxes))


def polygon_ellipse(xy: np.ndarray) -> tuple[float, float, float, float, float]:
    """Ellipse with the area, centroid and second moments of a filled polygon.

    Parameters
    ----------
    xy : ndarray (P, 2)
        Vertices ``x, y`` in continuous coordinates (pixel corners at
        integers), P >= 3; several polygons may be given as a list.

    Returns
    -------
    ``(x, y, major, minor, angle)`` with the centre in pixel-centre coordinates.

    Raises
    ------
    ValueError
        If the polygons enclose no area.

    Examples
    --------
    >>> sq = np.array([[0, 0], [4, 0], [4, 2], [0, 2]], float)
    >>> [round(v, 3) for v in polygon_ellipse(sq)]
    [1.5, 0.5, 4.619, 2.309, 0.0]
    """
    polys = [np.asarray(xy, np.float64)] if not isinstance(xy, list) else list(xy)
    m00 = m10 = m01 = m20 = m11 = m02 = 0.0
    for p in polys:
        m = cv2.moments(np.asarray(p, np.float32).reshape(-1, 1, 2))
        s = 1.0 if m["m00"] >= 0 else -1.0  # orientation of the polygon
        m00, m10, m01 = m00 + s * m["m00"], m10 + s * m["m10"], m01 + s * m["m01"]
        m20, m11, m02 = m20 + s * m["m20"], m11 + s * m["m11"], m02 + s * m["m02"]
    if m00 <= 0:
        raise ValueError("polygon_ellipse: the polygon encloses no area")
    cx, cy = m10 / m00, m01 / m00
    cov = np.array([[m20 / m00 - cx * cx, m11 / m00 - cx * cy], [0.0, m02 / m00 - cy * cy]])
    cov[1, 0] = cov[0, 1]
    evals, evecs = np.linalg.eigh(cov)
    evals = np.maximum(evals, 0.0)
    major, minor = 4.0 * np.sqrt(evals[1]), 4.0 * np.sqrt(evals[0])
    angle = float(np.degrees(np.arctan2(evecs[1, 1], evecs[0, 1])) % 180.0)
    if abs(major - minor) < 1e-9 * max(major, 1.0):
        angle = 0.0
    return float(cx - 0.5), float(cy - 0.5), float(major), float(minor), angle % 180.0


def read_yolo_polygons(
    path: str | os.PathLike,
    *,
    shape: tuple[int, int],
    classes: Sequence[str] = CLASSES,
    class_map: Mapping[str, str] | None = None,
) -> Defects:
    """YOLO segmentation polygons ``class x1 y1 x2 y2 ...`` (normalised) of one image.

    Parameters
    ----------
    path
        The ``.txt`` label file.
    shape
        ``(height, width)`` of the image in px.
    classes
        Class name per class index.
    class_map
        Renaming of class names.

    Raises
    ------
    InputFileError
        For a missing file or a line that is not an integer class index within
        ``classes`` followed by at least three ``x y`` pairs in [0, 1], naming
        the file and line.
    """
    path = Path(path)
    h, w = (int(v) for v in shape)
    if h <= 0 or w <= 0:
        raise ValueError(f"read_yolo_polygons: image shape must be positive, got {shape}")
    boxes, names, ellipses = [], [], []
    for n, line in enumerate(_read_lines(path), start=1):
        tokens = line.split()
        if not tokens:
            continue
        where = f"{path}:{n}"
        if len(tokens) < 7 or len(tokens) % 2 == 0:
            raise InputFileError(
                f"{where}: expected 'class x1 y1 x2 y2 x3 y3 ...' (a class and at least "
                f"3 points), got {len(tokens)} values"
            )
        if not tokens[0].isdigit() or int(tokens[0]) >= len(classes):
            raise InputFileError(
                f"{where}: class index {tokens[0]!r} is not in 0..{len(classes) - 1}"
            )
        xy = np.array(_numbers(tokens[1:], where)).reshape(-1, 2)
        if (xy < 0).any() or (xy > 1).any():
            raise InputFileError(f"{where}: polygon coordinates must be normalised to [0, 1]")
        xy = xy * [w, h]
        (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
        box = [x0, y0, x1 - x0, y1 - y0]
        _check_box(box, where)
        try:
            ellipses.append(polygon_ellipse(xy))
        except ValueError:
            raise InputFileError(f"{where}: the polygon encloses no area") from None
        boxes.append(box)
        names.append(_rename(classes[int(tokens[0])], class_map, where))
    return Defects.from_lists(boxes, names, ellipses=ellipses or None)


def read_coco(
    path: str | os.PathLike, *, class_map: Mapping[str, str] | None = None
) -> tuple[dict[str, Defects], dict[str, tuple[int, int]]]:
    """Defects and image sizes of a COCO detection JSON, keyed by image stem.

    Every image listed in ``images`` is returned, with no defects when it has
    no annotation.

    Raises
    ------
    InputFileError
        For a missing or unreadable file, a document without ``images``,
        ``annotations`` and ``categories``, or an annotation with a malformed
        ``bbox``, an unknown image or category, naming the annotation id.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(doc, dict) or not all(
        isinstance(doc.get(k), list) for k in ("images", "annotations", "categories")
    ):
        raise InputFileError(f"{path}: not a COCO file (needs images, annotations, categories)")
    try:
        cats = {c["id"]: str(c["name"]) for c in doc["categories"]}
        images = {
            im["id"]: (Path(str(im["file_name"])).stem, (int(im["height"]), int(im["width"])))
            for im in doc["images"]
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise InputFileError(f"{path}: malformed images or categories ({exc!r})") from None
    rows: dict[str, list] = {stem: [] for stem, _ in images.values()}
    for k, ann in enumerate(doc["annotations"]):
        where = f"{path}: annotation {ann.get('id', k) if isinstance(ann, dict) else k}"
        try:
            stem = images[ann["image_id"]][0]
            name = _rename(cats[ann["category_id"]], class_map, where)
            box = [float(v) for v in ann["bbox"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputFileError(f"{where}: missing or unknown field ({exc!r})") from None
        if len(box) != 4 or not np.isfinite(box).all():
            raise InputFileError(f"{where}: bbox must be 4 numbers [x, y, w, h]")
        _check_box(box, where)
        rows[stem].append((box, name, _coco_ellipse(ann, where)))
    defects = {
        stem: Defects.from_lists(
            [r[0] for r in items], [r[1] for r in items], ellipses=[r[2] for r in items] or None
        )
        for stem, items in rows.items()
    }
    return defects, {stem: shape for stem, shape in images.values()}


def _coco_ellipse(ann: dict, where: str) -> list[float]:
    ell = ann.get("ellipse")
    if ell is not None:
        try:
            values = [float(v) for v in ell]
        except (TypeError, ValueError):
            values = []
        if len(values) != 5:
            raise InputFileError(f"{where}: ellipse must be [cx, cy, major, minor, angle]")
        return [values[0] - 0.5, values[1] - 0.5, *values[2:]]
    seg = ann.get("segmentation")
    if isinstance(seg, list) and seg:
        try:
            polys = [np.asarray(p, np.float64).reshape(-1, 2) for p in seg if len(p) >= 6]
            return list(polygon_ellipse(polys))
        except (TypeError, ValueError):
            pass  # a degenerate outline gives no ellipse, the box still counts
    return [np.nan] * 5


def read_imagej_csv(
    path: str | os.PathLike,
    *,
    cls: str = "loop111",
    scale: float = 1.0,
    class_map: Mapping[str, str] | None = None,
) -> Defects:
    """ImageJ results with Fit ellipse and Bounding rectangle measurements.

    Parameters
    ----------
    path
        CSV file with (case-insensitive) columns ``X, Y, Major, Minor, Angle,
        BX, BY, Width, Height`` and optionally ``class``; other columns are
        ignored.
    cls
        Class of rows without a ``class`` column.
    scale
        Units per px of the measurements (1 for uncalibrated images).
    class_map
        Renaming of class names.

    Raises
    ------
    InputFileError
        For a missing file or column, or a row with a non-numeric value,
        naming the file and line.
    """
    path = Path(path)
    if not scale > 0:
        raise ValueError(f"read_imagej_csv: scale must be > 0, got {scale}")
    lines = _read_lines(path)
    reader = csv.reader(lines)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in IMAGEJ_COLUMNS if c not in header]
    if missing:
        raise InputFileError(
            f"{path}:1: missing ImageJ column(s) {', '.join(missing)} "
            "(measure Fit ellipse and Bounding rectangle)"
        )
    col = {c: header.index(c) for c in (*IMAGEJ_COLUMNS, "class") if c in header}
    boxes, names, ellipses = [], [], []
    for n, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{path}:{n}"
        if len(row) < len(header):
            raise InputFileError(f"{where}: expected {len(header)} values, got {len(row)}")
        x, y, major, minor, angle, bx, by, bw, bh = _numbers(
            [row[col[c]].strip() for c in IMAGEJ_COLUMNS], where
        )
        name = row[col["class"]].strip() if "class" in col else cls
        box = [bx / scale, by / scale, bw / scale, bh / scale]
        _check_box(box, where)
        boxes.append(box)
        names.append(_rename(name, class_map, where))
        ellipses.append(
            [x / scale - 0.5, y / scale - 0.5, major / scale, minor / scale, (180.0 - angle) % 180]
        )
    return Defects.from_lists(boxes, names, ellipses=ellipses or None)


def _files(folder: Path, suffix: str) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == suffix)


def detect_truth_format(path: str | os.PathLike) -> str:
    """Guess the format of a ground-truth file or folder (see the module).

    A JSON file, or a folder with ``annotations.json`` or a single JSON file,
    is ``coco``; a folder of CSV files ``imagej``; a folder of text files is
    ``boxes`` when the first label line holds four numbers and ``yolo`` when
    it holds an odd number of at least seven.

    Raises
    ------
    InputFileError
        When the path is missing or its format cannot be told.
    """
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() == ".json":
            return "coco"
        raise InputFileError(f"{path}: give a folder of label files, or a COCO .json file")
    if not path.is_dir():
        raise InputFileError(f"{path}: no such file or folder")
    if (path / "annotations.json").is_file() or len(_files(path, ".json")) == 1:
        return "coco"
    if _files(path, ".csv"):
        return "imagej"
    for txt in _files(path, ".txt"):
        for line in _read_lines(txt):
            tokens = line.split()
            if len(tokens) == 4:
                return "boxes"
            if len(tokens) >= 7 and len(tokens) % 2 == 1:
                return "yolo"
            if tokens:
                raise InputFileError(f"{txt}: cannot tell the label format; give --format")
    raise InputFileError(f"{path}: no ground-truth files (.json, .csv or .txt) found")


def read_truth(
    path: str | os.PathLike,
    *,
    format: str = "auto",
    shapes: Mapping[str, tuple[int, int]] | None = None,
    cls: str = "loop111",
    classes: Sequence[str] = CLASSES,
    class_map: Mapping[str, str] | None = None,
    scale: float = 1.0,
) -> TruthSet:
    """Read a folder (or COCO file) of ground truth into a :class:`TruthSet`.

    Parameters
    ----------
    path
        Folder of per-image label files named ``<stem>.txt``/``<stem>.csv``,
        or a COCO JSON file (or a folder holding ``annotations.json``).
    format
        One of :data:`TRUTH_FORMATS` or ``"auto"`` (:func:`detect_truth_format`).
    shapes
        Image stem -> ``(height, width)``; required for ``yolo``, kept in the
        result for the other formats (COCO files bring their own).
    cls
        Class of the single-class formats (``boxes``; ``imagej`` without a
        class column).
    classes
        Class name per YOLO class index.
    class_map
        Renaming of class names.
    scale
        Units per px of ImageJ measurements.

    Raises
    ------
    InputFileError
        For a missing path, an unknown format, a YOLO file whose image size is
        unknown, or any malformed file.
    """
    path = Path(path)
    if format == "auto":
        format = detect_truth_format(path)
    if format not in TRUTH_FORMATS:
        raise InputFileError(
            f"unknown ground-truth format {format!r} (expected auto, {', '.join(TRUTH_FORMATS)})"
        )
    if not path.exists():
        raise InputFileError(f"{path}: no such file or folder")
    shapes = dict(shapes or {})
    if format == "coco":
        if path.is_dir():
            found = [path / "annotations.json"] if (path / "annotations.json").is_file() else []
            found = found or _files(path, ".json")
            if len(found) != 1:
                raise InputFileError(
                    f"{path}: expected annotations.json or exactly one .json file, "
                    f"found {len(found)}"
                )
            path = found[0]
        defects, coco_shapes = read_coco(path, class_map=class_map)
        return TruthSet(defects, {**shapes, **coco_shapes}, "coco")
    if not path.is_dir():
        raise InputFileError(f"{path}: expected a folder of {format} label files")
    suffix = ".csv" if format == "imagej" else ".txt"
    files = _files(path, suffix)
    if not files:
        raise InputFileError(f"{path}: no {suffix} label files")
    defects = {}
    for f in files:
        if format == "boxes":
            defects[f.stem] = read_box_txt(f, cls=_rename(cls, class_map, str(f)))
        elif format == "imagej":
            defects[f.stem] = read_imagej_csv(f, cls=cls, scale=scale, class_map=class_map)
        else:
            if f.stem not in shapes:
                raise InputFileError(
                    f"{f}: the image size is unknown (YOLO labels are normalised; "
                    "give --images or --image-size)"
                )
            defects[f.stem] = read_yolo_polygons(
                f, shape=shapes[f.stem], classes=classes, class_map=class_map
            )
    return TruthSet(defects, shapes, format)


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def image_shapes(folder: str | Path) -> dict[str, tuple[int, int]]:
    """``(height, width)`` of every image in a folder, keyed by stem (headers only).

    Raises
    ------
    InputFileError
        When the folder is missing, holds no image or an image is unreadable.
    """
    from PIL import Image, UnidentifiedImageError

    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: no such folder")
    shapes = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
            try:
                with Image.open(p) as im:
                    width, height = im.size
            except (OSError, UnidentifiedImageError) as exc:
                raise InputFileError(f"{p}: cannot read the image size ({exc})") from None
            shapes[p.stem] = (int(height), int(width))
    if not shapes:
        raise InputFileError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)})")
    return shapes
