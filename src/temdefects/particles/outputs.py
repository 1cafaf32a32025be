"""Files of an analysed image: particle table (CSV), label image (TIFF), overlay (PNG)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import cv2
import numpy as np

from temdefects.io.atomic import atomic_write_bytes, atomic_write_csv
from temdefects.particles.pipeline import ROW_KEYS

# BGR, as the generator's previews: fault red, no_fault green, no_fringes blue.
CLASS_COLOURS = {
    "fault": (40, 40, 255),
    "no_fault": (60, 220, 60),
    "no_fringes": (255, 170, 40),
    "": (200, 200, 200),
}


def write_particle_table(path: str | os.PathLike, rows: list[dict]) -> Path:
    """CSV with the columns :data:`~temdefects.particles.pipeline.ROW_KEYS` (empty: unknown)."""
    return atomic_write_csv(path, rows, ROW_KEYS, blank_none=True, lineterminator="\n")


def encode_label_tiff(labels: np.ndarray) -> bytes:
    """uint16 TIFF bytes of a label image (0 background, 1..K).

    Raises
    ------
    ValueError
        For a label image that is not 2D or has more than 65535 labels.
    """
    import tifffile

    labels = np.asarray(labels)
    if labels.ndim != 2 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"encode_label_tiff: expected a 2D integer image, got {labels.shape}")
    if labels.min(initial=0) < 0 or labels.max(initial=0) > 65535:
        raise ValueError("encode_label_tiff: labels must lie in 0..65535 for uint16")
    buf = io.BytesIO()
    tifffile.imwrite(buf, labels.astype(np.uint16), compression="zlib")
    return buf.getvalue()


def particle_overlay(image: np.ndarray, labels: np.ndarray, classes: list[str]) -> np.ndarray:
    """BGR uint8 image with each particle's outline in the colour of its class.

    Parameters
    ----------
    image
        (H, W) float in [0, 1].
    labels
        (H, W) int labels 1..K.
    classes
        Class name of label ``k`` at index ``k - 1``.
    """
    from skimage.segmentation import find_boundaries

    image = np.asarray(image)
    if image.shape != np.shape(labels):
        raise ValueError(f"particle_overlay: image {image.shape} and labels differ in shape")
    grey = (np.clip(image, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    out = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    edge = find_boundaries(labels, mode="inner") & (labels > 0)
    if max(image.shape) > 768:  # thicker outlines stay visible when the image is shrunk
        edge = cv2.dilate(edge.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        edge &= labels > 0
    lut = np.zeros((len(classes) + 1, 3), np.uint8)
    for k, name in enumerate(classes, start=1):
        lut[k] = CLASS_COLOURS.get(name, CLASS_COLOURS[""])
    out[edge] = lut[np.clip(labels[edge], 0, len(classes))]
    return out


def write_result(out: str | os.PathLike, name: str, result) -> dict:
    """``<name>.csv``, ``<name>_labels.tif`` and ``<name>_overlay.png`` of a result."""
    from temdefects.io.images import write_png

    out = Path(out)
    files = {
        "table": write_particle_table(out / f"{name}.csv", result.rows),
        "labels": atomic_write_bytes(out / f"{name}_labels.tif", encode_label_tiff(result.labels)),
        "overlay": write_png(
            out / f"{name}_overlay.png",
            particle_overlay(result.image, result.labels, [r["class"] for r in result.rows]),
        ),
    }
    return {k: v.name for k, v in files.items()}


__all__ = [
    "CLASS_COLOURS",
    "encode_label_tiff",
    "particle_overlay",
    "write_particle_table",
    "write_result",
]
