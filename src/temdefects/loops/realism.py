"""Image statistics that compare generated loop images with real micrographs.

Measured the same way on both, so a generator preset can be set from real
frames rather than guessed (issue 17). Arrays in, numbers out:

* :func:`texture` -- per image: ``grain``, the std of the fine-scale residual
  (image minus its Gaussian blur of ``fine`` px) and ``mottle``, the std of
  the blur at ``coarse`` px, both relative to the image median; the grey
  levels are first robustly scaled so they do not depend on the camera's
  offset.
* :func:`defect_stats` -- per labelled defect: its size (longer box side, px)
  and ``depth``, the darkening of its core relative to a ring of background
  around the box (positive = darker than the surroundings), in units of the
  image's fine-scale noise (``depth / grain``), which is the visibility a
  detector sees.
* :func:`blob_extent` -- per labelled defect, the diameter of the region
  darker than half-way between background and core, over the square root of
  the box area: how far a blob's visible extent reaches beyond its label.
* :func:`density` -- defects per megapixel.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["blob_extent", "defect_stats", "density", "summarise", "texture"]


def _scaled(image: np.ndarray) -> np.ndarray:
    """Grey levels as float, divided by the image median (so offsets of 0 stay 0)."""
    x = np.asarray(image, np.float64)
    if x.ndim != 2:
        raise ValueError(f"expected a 2D image, got shape {x.shape}")
    med = float(np.median(x))
    return x / (med if med > 1e-9 else 1.0)


def texture(image: np.ndarray, *, fine: float = 2.0, coarse: float = 8.0) -> dict:
    """Fine-scale grain and coarse mottle of one image, relative to its median.

    Parameters
    ----------
    image : ndarray (H, W)
    fine, coarse : float
        Gaussian std, px, of the two scales.

    Returns
    -------
    dict with ``grain`` and ``mottle`` (floats).
    """
    x = _scaled(image)
    smooth = ndimage.gaussian_filter(x, fine)
    coarse_img = ndimage.gaussian_filter(x, coarse)
    return {"grain": float(np.std(x - smooth)), "mottle": float(np.std(coarse_img))}


def defect_stats(image: np.ndarray, boxes: np.ndarray, *, fine: float = 2.0) -> dict:
    """Size and visibility of each labelled defect of one image.

    Parameters
    ----------
    image : ndarray (H, W)
    boxes : ndarray (N, 4)
        ``x, y, width, height`` in px.
    fine : float
        Gaussian std of the smoothing before the core is read (and of the
        grain that normalises it).

    Returns
    -------
    dict of arrays (N,): ``size`` (longer box side, px), ``depth`` (core
    darkening relative to the surrounding ring; the core is the darkest
    smoothed pixel in the central half of the box), ``visibility``
    (``depth / grain``). Boxes wholly outside the image give NaN.
    """
    x = _scaled(image)
    smooth = ndimage.gaussian_filter(x, fine)
    grain = float(np.std(x - smooth)) or 1.0
    h, w = x.shape
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    size = np.maximum(boxes[:, 2], boxes[:, 3])
    depth = np.full(len(boxes), np.nan)
    for i, (bx, by, bw, bh) in enumerate(boxes):
        cx, cy = bx + bw / 2.0, by + bh / 2.0
        m = max(2.0, 0.25 * max(bw, bh))  # ring width around the box
        y0, y1 = int(max(0, by - m)), int(min(h, by + bh + m + 1))
        x0, x1 = int(max(0, bx - m)), int(min(w, bx + bw + m + 1))
        if y1 - y0 < 3 or x1 - x0 < 3:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        inbox = (xx >= bx) & (xx < bx + bw) & (yy >= by) & (yy < by + bh)
        core = (np.abs(xx + 0.5 - cx) <= max(1.0, bw / 4.0)) & (
            np.abs(yy + 0.5 - cy) <= max(1.0, bh / 4.0)
        )
        patch = smooth[y0:y1, x0:x1]
        ring = patch[~inbox]
        if ring.size < 4 or not core.any():
            continue
        bg = float(np.median(ring))
        depth[i] = (bg - float(patch[core].min())) / (abs(bg) if abs(bg) > 1e-9 else 1.0)
    return {"size": size, "depth": depth, "visibility": depth / grain}


def blob_extent(image: np.ndarray, boxes: np.ndarray, *, sigma: float = 2.0) -> np.ndarray:
    """Half-depth extent of each dark defect relative to its box (NaN where undefined).

    The image is smoothed (Gaussian ``sigma`` px); around each box (a window
    of twice its longer side each way) the background is the window's median
    and the core the darkest pixel of the 5x5 px at the box centre; the
    connected region darker than their mean that holds the centre gives an
    equivalent diameter, divided by ``sqrt(width * height)``.
    """
    x = np.asarray(image, np.float64)
    s = ndimage.gaussian_filter(x, sigma)
    h, w = s.shape
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    out = np.full(len(boxes), np.nan)
    for i, (bx, by, bw, bh) in enumerate(boxes):
        cx, cy, m = int(bx + bw / 2), int(by + bh / 2), int(max(bw, bh))
        if not (2 <= cx < w - 2 and 2 <= cy < h - 2) or m < 1:
            continue
        y0, y1, x0, x1 = (
            max(0, cy - 2 * m),
            min(h, cy + 2 * m + 1),
            max(0, cx - 2 * m),
            min(w, cx + 2 * m + 1),
        )
        patch = s[y0:y1, x0:x1]
        core = s[cy - 2 : cy + 3, cx - 2 : cx + 3].min()
        lab, _ = ndimage.label(patch < (np.median(patch) + core) / 2.0)
        k = lab[cy - y0, cx - x0]
        if k:
            out[i] = 2.0 * np.sqrt(np.count_nonzero(lab == k) / np.pi) / np.sqrt(bw * bh)
    return out


def density(count: int, shape: tuple[int, int]) -> float:
    """Defects per megapixel of an image of ``shape``."""
    return 1e6 * count / float(shape[0] * shape[1])


def summarise(values: np.ndarray, quantiles=(0.1, 0.5, 0.9)) -> list[float]:
    """Quantiles of the finite values (NaN when there are none)."""
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return [float("nan")] * len(quantiles)
    return [float(q) for q in np.quantile(v, quantiles)]
