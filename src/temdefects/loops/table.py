"""Detection tables: one CSV per image, and the per-class summary CSV.

A detection table ``<stem>.csv`` has exactly the columns of
:data:`TABLE_COLUMNS`, one row per defect: ``class`` (``loop111``,
``loop100`` or ``dot``), the ellipse ``x, y, major, minor, angle`` (px and
degrees, pixel centres at integers; empty cells when no ellipse was fitted),
the box ``bx, by, width, height`` (``bx, by`` its top-left corner) and the
detector's ``score``. See :mod:`temdefects.loops.defects` for the conventions.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from temdefects.errors import InputFileError
from temdefects.io.atomic import atomic_write_text
from temdefects.loops.defects import CLASSES, Defects

__all__ = [
    "SUMMARY_COLUMNS",
    "TABLE_COLUMNS",
    "read_detections",
    "read_detections_folder",
    "write_detections",
    "write_summary_csv",
]

TABLE_COLUMNS = (
    "class",
    "x",
    "y",
    "major",
    "minor",
    "angle",
    "bx",
    "by",
    "width",
    "height",
    "score",
)
SUMMARY_COLUMNS = (
    "source",
    "class",
    "count",
    "mean_diameter",
    "std_diameter",
    "sem_diameter",
    "areal_density",
    "number_density",
    "length_unit",
    "density_unit",
)


def _cell(value: float) -> str:
    return "" if not math.isfinite(value) else f"{value:.6g}"


def write_detections(path: str | os.PathLike, defects: Defects) -> Path:
    """Write the detection table of one image atomically and return its path.

    Examples
    --------
    >>> import tempfile
    >>> d = Defects.from_lists([[1, 2, 3, 4]], ["dot"], scores=[0.9])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = write_detections(Path(tmp) / "a.csv", d)
    ...     print(p.read_text().splitlines()[1])
    dot,,,,,,1,2,3,4,0.9
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TABLE_COLUMNS)
    for i, cls in enumerate(defects.classes):
        values = [*defects.ellipses[i], *defects.boxes[i], defects.scores[i]]
        writer.writerow([cls, *(_cell(float(v)) for v in values)])
    return atomic_write_text(path, buf.getvalue())


def read_detections(path: str | os.PathLike) -> Defects:
    """Read a detection table written by :func:`write_detections` (or by hand).

    Ellipse cells may all be empty on a row (no ellipse); class, box and score
    are required.

    Raises
    ------
    InputFileError
        For a missing file, a header other than :data:`TABLE_COLUMNS`, an
        unknown class, a missing or non-numeric value or an empty box, naming
        the file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read ({exc})") from None
    reader = csv.reader(io.StringIO(text))
    header = tuple(h.strip() for h in next(reader, []))
    if header != TABLE_COLUMNS:
        raise InputFileError(
            f"{path}:1: expected the header {','.join(TABLE_COLUMNS)}, got {','.join(header)!r}"
        )
    boxes, classes, ellipses, scores = [], [], [], []
    for n, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        where = f"{path}:{n}"
        if len(row) != len(TABLE_COLUMNS):
            raise InputFileError(f"{where}: expected {len(TABLE_COLUMNS)} values, got {len(row)}")
        cls = row[0].strip()
        if cls not in CLASSES:
            raise InputFileError(
                f"{where}: unknown class {cls!r} (expected one of {', '.join(CLASSES)})"
            )
        cells = [c.strip() for c in row[1:]]
        ell_cells, rest = cells[:5], cells[5:]
        if any(c == "" for c in rest) or (any(ell_cells) and not all(ell_cells)):
            raise InputFileError(
                f"{where}: missing value (only the five ellipse cells may be empty)"
            )
        try:
            ell = [float(c) for c in ell_cells] if all(ell_cells) else [math.nan] * 5
            bx, by, w, h, score = (float(c) for c in rest)
        except ValueError:
            raise InputFileError(f"{where}: non-numeric value in {','.join(row)!r}") from None
        if not (w > 0 and h > 0) or not np.isfinite([bx, by, w, h, score]).all():
            raise InputFileError(f"{where}: box must be finite with width and height > 0")
        boxes.append([bx, by, w, h])
        classes.append(cls)
        ellipses.append(ell)
        scores.append(score)
    return Defects.from_lists(boxes, classes, ellipses=ellipses or None, scores=scores or None)


def read_detections_folder(folder: str | os.PathLike) -> dict[str, Defects]:
    """Detection tables ``<stem>.csv`` of a folder, keyed by stem (sorted).

    A per-class summary (``summary.csv`` of ``temdefects loops detect``, known
    by its header) in the same folder is skipped.

    Raises
    ------
    InputFileError
        When the folder is missing or holds no ``.csv`` file, or for a
        malformed table.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: no such folder")
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() == ".csv" and not _is_summary(p)
    )
    if not files:
        raise InputFileError(f"{folder}: no detection tables (<stem>.csv)")
    return {p.stem: read_detections(p) for p in files}


def _is_summary(path: Path) -> bool:
    try:
        with open(path, newline="") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError):
        return False
    return tuple(h.strip() for h in header) == SUMMARY_COLUMNS


def write_summary_csv(path: str | os.PathLike, rows: Sequence[Mapping]) -> Path:
    """Write per-class summary rows (keys :data:`SUMMARY_COLUMNS`) atomically.

    Missing keys and None/NaN values are written as empty cells.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    for row in rows:
        cells = []
        for key in SUMMARY_COLUMNS:
            v = row.get(key)
            if v is None or (isinstance(v, float) and not math.isfinite(v)):
                cells.append("")
            elif isinstance(v, float):
                cells.append(f"{v:.6g}")
            else:
                cells.append(str(v))
        writer.writerow(cells)
    return atomic_write_text(path, buf.getvalue())
