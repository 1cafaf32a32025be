"""ImageJ/Fiji ROI sets: curves as polyline ROIs in a ``.zip`` for the ROI Manager.

ImageJ gives line and point ROIs pixel-centre coordinates, the same
convention as the rest of temdefects (``x`` = column, ``y`` = row, centre of
the first pixel at 0, 0), so polyline coordinates are stored unchanged, as
32-bit floats (sub-pixel resolution). Area ROIs (polygons, rectangles ...)
use pixel-corner coordinates in ImageJ; :func:`read_imagej_rois` shifts them
by -0.5 px into the pixel-centre convention.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from temdefects.errors import InputFileError
from temdefects.io._curves import check_curve
from temdefects.io.atomic import atomic_write_bytes


def write_imagej_rois(
    path: str | os.PathLike,
    curves: Sequence[np.ndarray],
    *,
    names: Sequence[str] | None = None,
) -> Path:
    """Write one POLYLINE ROI per curve into an ImageJ ROI ``.zip``, atomically.

    Parameters
    ----------
    path
        Destination ``.zip``; its folder must exist. An existing file is replaced
        (never appended to).
    curves
        (P, 2) arrays of ``x`` (column), ``y`` (row) pixel coordinates, P >= 2.
    names
        One unique name per curve; default ``dislocation-001``, ``dislocation-002`` ...

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        For malformed curves or names.
    """
    import roifile

    path = Path(path)
    arrays = [check_curve(c, i) for i, c in enumerate(curves)]
    if names is None:
        names = [f"dislocation-{i + 1:03d}" for i in range(len(arrays))]
    names = list(names)
    if len(names) != len(arrays):
        raise ValueError(f"names: expected {len(arrays)} names, got {len(names)}")
    if len(set(names)) != len(names) or not all(isinstance(n, str) and n for n in names):
        raise ValueError("names must be unique non-empty strings")
    if any(ch in n for n in names for ch in "/\\"):
        raise ValueError("names must not contain '/' or '\\'")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in zip(names, arrays, strict=True):
            roi = roifile.ImagejRoi.frompoints(arr.astype(np.float32), name=name)
            roi.roitype = roifile.ROI_TYPE.POLYLINE
            # A fixed time stamp: the same curves give the same bytes (runs compare equal).
            info = zipfile.ZipInfo(f"{name}.roi", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, roi.tobytes())
    return atomic_write_bytes(path, buffer.getvalue())


def read_imagej_rois(path: str | os.PathLike) -> list[tuple[str, np.ndarray]]:
    """Read an ImageJ ROI ``.zip`` (or a single ``.roi``) as ``(name, (P, 2) x, y)`` pairs.

    Coordinates are float64 in the pixel-centre convention (see module doc).

    Raises
    ------
    InputFileError
        If the file is missing, not a ROI file, or holds a composite (shape) ROI.
    """
    import roifile

    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        found = roifile.ImagejRoi.fromfile(path)
    except Exception as exc:  # roifile raises ValueError, zipfile.BadZipFile, struct.error ...
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise InputFileError(f"{path}: not a readable ImageJ ROI file ({detail})") from None
    rois = found if isinstance(found, list) else [found]
    area = {
        roifile.ROI_TYPE.POLYGON,
        roifile.ROI_TYPE.RECT,
        roifile.ROI_TYPE.OVAL,
        roifile.ROI_TYPE.FREEHAND,
        roifile.ROI_TYPE.TRACED,
    }
    result = []
    for i, roi in enumerate(rois):
        if roi.composite:
            raise InputFileError(
                f"{path}: ROI {i} ({roi.name!r}) is a composite shape ROI, which is not supported"
            )
        coords = np.asarray(roi.coordinates(), dtype=np.float64).reshape(-1, 2)
        if roi.roitype in area:
            coords = coords - 0.5
        result.append((roi.name or f"roi-{i + 1:03d}", coords))
    return result
