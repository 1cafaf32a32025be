"""Preview grids: images with particle outlines coloured by class and defect planes drawn."""

from __future__ import annotations

import cv2
import numpy as np

from temdefects.synth.particles.config import CLASSES
from temdefects.synth.preview import sample_grid

# BGR: fault red, no_fault green, no_fringes blue; defect planes yellow.
CLASS_COLOURS = {"fault": (40, 40, 255), "no_fault": (60, 220, 60), "no_fringes": (255, 170, 40)}
PLANE_COLOUR = (0, 230, 255)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    raise TypeError(f"particle_preview: expected a uint8 or uint16 image, got {image.dtype}")


def _boundary(labels: np.ndarray) -> np.ndarray:
    """Pixels of a particle with a 4-neighbour of another label (or background)."""
    edge = np.zeros(labels.shape, bool)
    diff_v = labels[1:] != labels[:-1]
    diff_h = labels[:, 1:] != labels[:, :-1]
    edge[1:] |= diff_v
    edge[:-1] |= diff_v
    edge[:, 1:] |= diff_h
    edge[:, :-1] |= diff_h
    return edge & (labels > 0)


def _tile(sample, cell: int) -> np.ndarray:
    image, labels = sample.image, sample.labels
    if image.ndim != 2 or labels.shape != image.shape:
        raise ValueError(
            f"particle_preview: image {image.shape} and labels {labels.shape} must be equal (H, W)"
        )
    scale = cell / max(image.shape)
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    small = cv2.resize(_to_uint8(image), size, interpolation=cv2.INTER_AREA)
    lab = cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST)
    lut = np.zeros((int(labels.max(initial=0)) + 1, 3), np.uint8)
    for p in sample.particles:
        if p["id"] < len(lut):
            lut[p["id"]] = CLASS_COLOURS[p["class"]]
    tile = np.full((cell, cell, 3), 255, np.uint8)
    view = tile[: size[1], : size[0]]
    view[:] = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
    edge = _boundary(lab)
    view[edge] = lut[lab[edge]]
    for p in sample.particles:
        for plane in p["fault_planes"]:
            if len(plane["endpoints"]) == 2:
                (x0, y0), (x1, y1) = (np.asarray(plane["endpoints"]) * scale).tolist()
                cv2.line(
                    view,
                    (round(x0), round(y0)),
                    (round(x1), round(y1)),
                    PLANE_COLOUR,
                    1,
                    cv2.LINE_AA,
                )
    x = 4
    for c in CLASSES:
        text = f"{c}:{sum(p['class'] == c for p in sample.particles)}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)
        cv2.rectangle(tile, (x - 2, 2), (x + tw + 2, 6 + th + base), (0, 0, 0), thickness=-1)
        cv2.putText(
            tile, text, (x, 4 + th), cv2.FONT_HERSHEY_SIMPLEX, 0.4, CLASS_COLOURS[c], 1, cv2.LINE_AA
        )
        x += tw + 8
    return tile


def particle_preview(samples: list, *, columns: int = 4, cell: int = 256) -> np.ndarray:
    """A BGR grid of images with particle outlines coloured by class.

    Parameters
    ----------
    samples
        Objects with ``image`` (H, W) uint8/uint16, ``labels`` (H, W) int and
        ``particles`` (rows with ``id``, ``class``, ``fault_planes``), e.g.
        :class:`~temdefects.synth.particles.render.ParticleSample`.
    columns
        Images per row of the grid.
    cell
        Side of each tile in px (images are scaled to fit).

    Returns
    -------
    (rows * cell + gaps, columns * cell + gaps, 3) uint8 BGR image. Outlines:
    fault red, no_fault green, no_fringes blue; defect planes yellow.
    """
    return sample_grid("particle_preview", samples, _tile, columns=columns, cell=cell, gap=6)
