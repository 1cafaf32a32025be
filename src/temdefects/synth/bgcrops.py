"""Cut background crops out of real micrographs for the real-background mode.

Windows are placed at random and accepted only when they contain no excluded
pixel: an exclusion mask (for example hand labels of the dislocations, dilated by
a margin) and, optionally, line-like structures found by a Sato ridge filter
(useful where labels are partial). Crops keep the source bit depth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from temdefects.errors import InputFileError
from temdefects.io.images import RASTER_SUFFIXES, read_raw, to_unit_float


@dataclass(frozen=True)
class Crop:
    y: int
    x: int
    size: int


def line_mask(image: np.ndarray, *, sigmas=(1.0, 2.0, 3.0), z: float = 6.0) -> np.ndarray:
    """Pixels on dark line-like structures: Sato ridge response above median + z * MAD."""
    from skimage.filters import sato

    response = sato(to_unit_float(image), sigmas=sigmas, black_ridges=True)
    med = float(np.median(response))
    mad = float(np.median(np.abs(response - med))) * 1.4826 + 1e-12
    return response > med + z * mad


def find_crops(
    shape: tuple[int, int],
    *,
    size: int,
    count: int,
    rng: np.random.Generator,
    exclude: np.ndarray | None = None,
    max_overlap: float = 0.25,
    tries: int = 2000,
) -> list[Crop]:
    """Random square windows free of ``exclude`` and overlapping each other at most a little.

    Parameters
    ----------
    shape
        Image shape (rows, cols).
    size
        Side of each crop in px.
    count
        Wanted number of crops (fewer if not enough free space is found).
    exclude
        Boolean mask of pixels no crop may contain.
    max_overlap
        Largest fraction of a crop's area that may overlap earlier crops.
    """
    h, w = shape
    if size > min(h, w):
        return []
    if exclude is not None and exclude.shape != (h, w):
        raise ValueError(f"find_crops: exclusion mask {exclude.shape} does not match {shape}")
    bad = np.zeros((h + 1, w + 1), np.int64)
    if exclude is not None:
        bad[1:, 1:] = np.cumsum(np.cumsum(exclude.astype(np.int64), 0), 1)
    used = np.zeros((h, w), bool)
    crops: list[Crop] = []
    for _ in range(tries):
        if len(crops) >= count:
            break
        y = int(rng.integers(0, h - size + 1))
        x = int(rng.integers(0, w - size + 1))
        n_bad = bad[y + size, x + size] - bad[y, x + size] - bad[y + size, x] + bad[y, x]
        if n_bad:
            continue
        if used[y : y + size, x : x + size].mean() > max_overlap:
            continue
        used[y : y + size, x : x + size] = True
        crops.append(Crop(y, x, size))
    return crops


def exclusion_for(
    image_path: Path, mask_dir: Path | None, *, dark: bool, margin: int, shape: tuple[int, int]
) -> np.ndarray | None:
    """The dilated exclusion mask of ``image_path`` from ``mask_dir`` (same stem), if any."""
    if mask_dir is None:
        return None
    matches = [
        p
        for p in mask_dir.iterdir()
        if p.stem == image_path.stem and p.suffix.lower() in RASTER_SUFFIXES
    ]
    if not matches:
        return None
    raw = read_raw(matches[0])
    if raw.shape != shape:
        raise InputFileError(f"{matches[0]}: mask shape {raw.shape} differs from image {shape}")
    unit = to_unit_float(raw)
    return dilate(unit < 0.5 if dark else unit > 0, margin)


def dilate(mask: np.ndarray, margin: int) -> np.ndarray:
    """``mask`` grown by a disc of radius ``margin`` px (unchanged for 0)."""
    if margin <= 0:
        return np.asarray(mask, bool)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1))
    return cv2.dilate(np.asarray(mask, np.uint8), kernel) > 0


def png_dtype(crop: np.ndarray) -> np.ndarray:
    """8- and 16-bit crops as they are; anything else scaled to 16 bit (PNG keeps it)."""
    if crop.dtype in (np.uint8, np.uint16):
        return crop
    return np.round(to_unit_float(crop) * 65535).astype(np.uint16)


def write_crops(out: Path, source: Path, image: np.ndarray, crops: list) -> list[dict]:
    """Write each crop of ``image`` as ``<source stem>_NN.png`` (atomically) into ``out``.

    Returns
    -------
    One index entry per crop: ``crop`` (file name), ``source``, ``y``, ``x``, ``size``.
    """
    from temdefects.io.atomic import atomic_write_bytes

    index = []
    for k, c in enumerate(crops):
        name = f"{source.stem}_{k:02d}.png"
        patch = np.ascontiguousarray(png_dtype(image[c.y : c.y + c.size, c.x : c.x + c.size]))
        ok, buf = cv2.imencode(".png", patch)
        if not ok:
            raise InputFileError(f"{source}: crop {k} cannot be encoded as PNG")
        atomic_write_bytes(out / name, buf.tobytes())
        index.append({"crop": name, "source": str(source), "y": c.y, "x": c.x, "size": c.size})
    return index


def write_crop_index(out: Path, doc: dict) -> None:
    """``crops.json``: the run's settings and the index of its crops (atomic)."""
    from temdefects.io.atomic import atomic_write_json

    atomic_write_json(out / "crops.json", doc)
