"""Preview grid of loop samples with their boxes coloured by class.

Colours follow Figure 3 of Shen et al. (2021): a0/2<111> loops red, a0<100>
loops yellow, black dots blue.
"""

from __future__ import annotations

import cv2
import numpy as np

from temdefects.synth.preview import sample_grid

CLASS_COLOURS = {"loop111": (0, 0, 255), "loop100": (0, 220, 255), "dot": (255, 80, 0)}  # BGR


def _tile(sample, cell: int) -> np.ndarray:
    image = sample.image
    if image.ndim != 2:
        raise ValueError(f"loop_preview: expected (H, W) images, got shape {image.shape}")
    h, w = image.shape
    f = cell / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
    tile = np.full((cell, cell, 3), 255, np.uint8)
    scaled = cv2.cvtColor(cv2.resize(image, size, interpolation=interp), cv2.COLOR_GRAY2BGR)
    tile[: size[1], : size[0]] = scaled
    for label in sample.labels:
        x, y, bw, bh = label["box"]
        p0 = (int(np.floor(x * f)), int(np.floor(y * f)))
        p1 = (int(np.ceil((x + bw) * f)) - 1, int(np.ceil((y + bh) * f)) - 1)
        cv2.rectangle(tile, p0, p1, CLASS_COLOURS[label["class"]], 1)
    counts = {c: sum(lab["class"] == c for lab in sample.labels) for c in CLASS_COLOURS}
    text = " ".join(f"{c} {n}" for c, n in counts.items())
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)
    cv2.rectangle(tile, (2, 2), (8 + tw, 8 + th + base), (0, 0, 0), thickness=-1)
    cv2.putText(
        tile, text, (5, 5 + th), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA
    )
    return tile


def loop_preview(samples: list, *, columns: int = 4, cell: int = 256) -> np.ndarray:
    """BGR grid of images with class-coloured boxes and per-class counts.

    Parameters
    ----------
    samples
        Objects with ``image`` (H, W) uint8 and ``labels`` (as
        :class:`~temdefects.synth.loops.render.LoopSample`).
    columns
        Images per row.
    cell
        Side of each tile in px (images keep their aspect ratio).

    Returns
    -------
    (rows * (cell + 8) - 8, columns * (cell + 8) - 8, 3) uint8 array.

    Raises
    ------
    ValueError
        Without samples, or for a sample that is not a 2D image.
    """
    return sample_grid("loop_preview", samples, _tile, columns=columns, cell=cell, gap=8)
