"""File helpers that every generator's per-image files share.

Zero-padded stems (:func:`stem`), deterministic ``.npz`` archives and
bit-packed masks (:func:`encode_npz`, :func:`encode_masks`, :func:`read_masks`),
the head and software versions of a record, atomic writing of one sample's
files with its record last (:func:`write_sample_files`), and reading records,
images and masks back. Every file is written atomically and deterministically
(no timestamps). The dislocation generator's files are described in
:mod:`temdefects.synth.dislocations.files`.
"""

from __future__ import annotations

import io
import os
import platform
import zipfile
from pathlib import Path

import cv2
import numpy as np
import scipy

from temdefects import __version__
from temdefects.errors import InputFileError
from temdefects.io import jsonfile as strict_json
from temdefects.io.atomic import atomic_write_bytes, atomic_write_text
from temdefects.io.records import read_json_record


def stem(index: int, digits: int = 6) -> str:
    return f"{int(index):0{digits}d}"


def encode_npz(**arrays: np.ndarray) -> bytes:
    """An ``.npz`` archive (``np.load`` reads it) with fixed timestamps, so bytes repeat.

    Deflate level 1 is twice as fast as the default and still ~25 KiB for 20 masks.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, arr in arrays.items():
            npy = io.BytesIO()
            np.lib.format.write_array(npy, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            zf.writestr(info, npy.getvalue(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    return buf.getvalue()


def encode_masks(masks: np.ndarray) -> bytes:
    """``.npz`` bytes of (K, H, W) bool masks, bit-packed along the last axis.

    Packing makes the file 8 times smaller before compression and compressing
    four times faster than a bool array; :func:`read_masks` unpacks.
    """
    masks = np.asarray(masks, bool)
    if masks.ndim != 3:
        raise ValueError(f"encode_masks: expected (K, H, W) masks, got shape {masks.shape}")
    return encode_npz(
        masks_packed=np.packbits(masks, axis=-1), shape=np.array(masks.shape, np.int64)
    )


def read_masks(path: str | os.PathLike) -> np.ndarray:
    """(K, H, W) bool masks from a file written by :func:`encode_masks`."""
    path = Path(path)
    try:
        # Read the bytes first: np.load on a path leaves it open when the archive is bad.
        with np.load(io.BytesIO(path.read_bytes())) as data:
            k, h, w = (int(v) for v in data["shape"])
            packed = data["masks_packed"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        # numpy's own text (pickle advice) means nothing to a user: say what the file is not
        why = "not an .npz archive" if isinstance(exc, ValueError) else type(exc).__name__
        if isinstance(exc, OSError) and exc.strerror:
            why = exc.strerror
        if isinstance(exc, KeyError):
            why = f"no {exc} array (not written by temdefects)"
        raise InputFileError(f"{path}: not a readable mask file ({why})") from None
    return np.unpackbits(packed, axis=-1, count=w).astype(bool).reshape(k, h, w)


def software_versions() -> dict:
    return {
        "temdefects": __version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "opencv": cv2.__version__,
        "python": platform.python_version(),
    }


def record_head(record_format: str, index: int, seed: int | None) -> dict:
    """The first entries of every generator's per-image record, in their stored order.

    Examples
    --------
    >>> record_head("f/1", 3, 7)["seed"], list(record_head("f/1", 3, None))[:2]
    (7, ['format', 'temdefects_version'])
    """
    return {
        "format": record_format,
        "temdefects_version": __version__,
        "index": int(index),
        "seed": seed,
    }


def write_sample_files(folder: str | os.PathLike, record: dict, contents: dict) -> Path:
    """Write ``contents[key]`` (bytes or text) to ``record["files"][key]`` for every key,
    then the record itself, last: a record marks a complete sample for ``--resume``.

    Returns the record path (the image's stem, ``.json``).
    """
    # No fsync: a run interrupted by a crash is completed by --resume (the record,
    # written last, marks complete images) and every file is still renamed atomically.
    folder = Path(folder)
    files = record["files"]
    for key, data in contents.items():
        write = atomic_write_bytes if isinstance(data, bytes) else atomic_write_text
        write(folder / files[key], data, fsync=False)
    path = folder / (Path(files["image"]).stem + ".json")
    # Compact JSON uses the C encoder (an indented dump is several times slower).
    atomic_write_text(path, strict_json.dumps(record, separators=(",", ":")) + "\n", fsync=False)
    return path


def read_generator_record(path: str | os.PathLike, record_format: str, what: str) -> dict:
    """Load a generator's per-image record JSON and check its ``format``.

    Parameters
    ----------
    path
        The record file.
    record_format
        The ``format`` the record must have.
    what
        What such a record is, for the error message (``not a <what>``).

    Raises
    ------
    InputFileError
        When the file is missing (``record not found``), unreadable or of
        another format.
    """
    return read_json_record(
        path, expected_format=record_format, what=what, missing="record not found"
    )


def list_samples(folder: str | os.PathLike) -> list[str]:
    """Stems of the complete images of a generated folder (those with a record), sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: dataset folder not found")
    return sorted(p.stem for p in folder.glob("*.json") if p.stem.isdigit())


def imread_quiet(path: str | os.PathLike) -> np.ndarray | None:
    """``cv2.imread`` unchanged, or None, without OpenCV's own warning for a missing file."""
    path = Path(path)
    if not path.is_file():
        return None
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def read_sample_record(
    folder: str | os.PathLike, index: int | str, reader
) -> tuple[Path, dict, np.ndarray]:
    """``(folder, record, image)`` of one generated sample of any family.

    ``reader`` loads and checks the family's record JSON; the image is the
    record's ``files["image"]``, read as it was written (2D).

    Raises
    ------
    InputFileError
        When the record or the image is missing or unreadable.
    """
    folder = Path(folder)
    name = index if isinstance(index, str) else stem(index)
    record = reader(folder / f"{name}.json")
    path = folder / record["files"]["image"]
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None or image.ndim != 2:
        raise InputFileError(f"{path}: cannot read image")
    return folder, record, image


def read_image_and_masks(folder: str | os.PathLike, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Image (H, W) uint8 and masks (K, H, W) bool of one generated image (no record parse)."""
    folder = Path(folder)
    image = imread_quiet(folder / f"{name}.png")
    if image is None or image.ndim != 2:
        raise InputFileError(
            f"{folder / (name + '.png')}: cannot read image (missing or corrupted)"
        )
    if image.dtype != np.uint8:  # a 16-bit image would be trained on as if 65535 were 1
        raise InputFileError(
            f"{folder / (name + '.png')}: expected an 8-bit greyscale image (as synth and "
            f"labelme-to-masks write), got {image.dtype}"
        )
    masks = read_masks(folder / f"{name}.npz")
    if masks.shape[1:] != image.shape:
        raise InputFileError(f"{folder / (name + '.npz')}: masks do not match the image size")
    return image, masks
