"""Files of one synthetic image, all sharing its zero-padded index as stem.

``000000.png``  the image (uint8 greyscale)
``000000.npz``  ``masks``: (K, H, W) bool, one mask per dislocation, overlaps kept
``000000.csv``  centre lines: ``dislocation, segment, x, y`` (x = column, y = row, px)
``000000.json`` the record: every parameter and seed, the configuration and the
                package version; written last, so its presence marks a complete image.

Every file is written atomically and deterministically (no timestamps), so a
replayed record reproduces all four byte for byte.
"""

from __future__ import annotations

import io
import json
import os
import platform
import zipfile
from pathlib import Path

import cv2
import numpy as np
import scipy

from temdefects import __version__
from temdefects.errors import InputFileError
from temdefects.io.atomic import atomic_write_bytes, atomic_write_text
from temdefects.io.images import encode_png
from temdefects.synth.scene import Sample

RECORD_FORMAT = "temdefects.synth.record/1"
SUFFIXES = (".png", ".npz", ".csv", ".json")


def stem(index: int, digits: int = 6) -> str:
    return f"{int(index):0{digits}d}"


def encode_npz(**arrays: np.ndarray) -> bytes:
    """An ``.npz`` archive (``np.load`` reads it) with fixed timestamps, so bytes repeat."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def encode_lines(lines: list) -> str:
    """CSV text of centre lines (one row per point)."""
    rows = ["dislocation,segment,x,y"]
    for k, segments in enumerate(lines):
        for s, pts in enumerate(segments):
            rows.extend(f"{k},{s},{x:.2f},{y:.2f}" for x, y in pts)
    return "\n".join(rows) + "\n"


def software_versions() -> dict:
    return {"temdefects": __version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "opencv": cv2.__version__, "python": platform.python_version()}


def make_record(sample: Sample, *, index: int, seed: int | None, config: dict | None,
                backgrounds: str | None, digits: int = 6) -> dict:
    """The JSON record of a sample (see the module docstring)."""
    name = stem(index, digits)
    return {
        "format": RECORD_FORMAT,
        "temdefects_version": __version__,
        "index": int(index),
        "seed": seed,
        "n_dislocations": int(sample.masks.shape[0]),
        "files": {"image": f"{name}.png", "masks": f"{name}.npz", "lines": f"{name}.csv"},
        "backgrounds": backgrounds,
        "config": config,
        "scene": sample.scene,
        "software": software_versions(),
    }


def write_sample(folder: str | os.PathLike, sample: Sample, record: dict) -> Path:
    """Write the four files of a sample into ``folder``; returns the record path."""
    folder = Path(folder)
    files = record["files"]
    atomic_write_bytes(folder / files["image"], encode_png(sample.image))
    atomic_write_bytes(folder / files["masks"], encode_npz(masks=sample.masks))
    atomic_write_text(folder / files["lines"], encode_lines(sample.lines))
    path = folder / (Path(files["image"]).stem + ".json")
    atomic_write_text(path, json.dumps(record, indent=1) + "\n")
    return path


def read_record(path: str | os.PathLike) -> dict:
    """Load and check a record JSON."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: record not found")
    try:
        record = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{path}: not a readable JSON record ({exc})") from None
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        raise InputFileError(f"{path}: not a temdefects synthetic-image record "
                             f"(expected format {RECORD_FORMAT!r})")
    return record


def read_lines(path: str | os.PathLike, count: int) -> list:
    """Centre lines from a CSV written by :func:`encode_lines` (``count`` dislocations)."""
    lines: list = [[] for _ in range(count)]
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    for k in range(count):
        rows = data[data[:, 0] == k] if data.size else data
        for s in np.unique(rows[:, 1]).astype(int) if rows.size else []:
            lines[k].append(rows[rows[:, 1] == s][:, 2:4])
    return lines


def read_sample(folder: str | os.PathLike, index: int | str) -> Sample:
    """Read image, masks, centre lines and scene of one generated image."""
    folder = Path(folder)
    name = index if isinstance(index, str) else stem(index)
    record = read_record(folder / f"{name}.json")
    files = record["files"]
    image = cv2.imread(str(folder / files["image"]), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise InputFileError(f"{folder / files['image']}: cannot read image")
    with np.load(folder / files["masks"]) as data:
        masks = data["masks"]
    lines = read_lines(folder / files["lines"], masks.shape[0])
    return Sample(image=image, masks=masks, lines=lines, scene=record["scene"])
