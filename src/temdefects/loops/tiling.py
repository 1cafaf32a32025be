"""Detection on images larger than the detector's training size, and the working scale.

Large images are cut into square tiles of the model's ``input_size`` with an
overlap; every tile *owns* a core (the tile less half the overlap on each
side it shares with a neighbour), the cores partition the image, and a box is
kept only from the tile whose core holds its centre. A defect no larger than
the overlap is then seen whole by the tile that keeps it, and no defect is
counted twice, without any merging step.

The working scale (issue 17) is chosen from the image by the detector itself
(:func:`auto_factor`): a first pass at the coarse scale (longer side =
``input_size``, the rule of earlier models) measures the defects it finds; when
they are smaller than the sizes the model was trained on (or too few are
found for a size to be read), the image is magnified towards ``target`` px
per defect, up to its native resolution, and detected again in tiles. A finer
pass sees defects the coarse one could not, so their sizes are measured again
and the rule applied once more (``AUTO_PASSES`` passes at most): on a 2048 px
frame the coarse pass may find only the largest blobs, and one step would stop
halfway. So a 2048 px frame with 20 px black dots is read at native
resolution, and one with 200 px loops stays at the coarse scale.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = [
    "AUTO_MIN_FOUND",
    "AUTO_PASSES",
    "AUTO_SMALL",
    "AUTO_TARGET",
    "auto_factor",
    "detect_tiled",
    "tile_starts",
]

AUTO_TARGET = 24.0  # px: defect size (sqrt of box area) the auto rule magnifies towards
AUTO_SMALL = 15.0  # px: a coarse-pass median below this calls for a finer scale
AUTO_MIN_FOUND = 3  # fewer confident boxes than this: the size cannot be read
AUTO_PASSES = 3  # detection passes at most: the coarse one and up to two finer ones


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of ``tile`` px covering ``length`` px with >= ``overlap``.

    Examples
    --------
    >>> tile_starts(1000, 512, 128)
    [0, 244, 488]
    >>> tile_starts(400, 512, 128)
    [0]
    """
    if length <= tile:
        return [0]
    step = max(1, tile - overlap)
    n = int(np.ceil((length - tile) / step)) + 1
    return [int(round(v)) for v in np.linspace(0, length - tile, n)]


def _cores(starts: list[int], tile: int, length: int) -> list[tuple[float, float]]:
    """The owned interval of each tile: boundaries halfway through each overlap."""
    out = []
    for i, s in enumerate(starts):
        lo = 0.0 if i == 0 else (s + starts[i - 1] + tile) / 2.0
        hi = float(length) if i == len(starts) - 1 else (starts[i + 1] + s + tile) / 2.0
        out.append((lo, hi))
    return out


@torch.no_grad()
def detect_tiled(
    model: nn.Module,
    x: np.ndarray,
    tile: int,
    overlap: int,
    *,
    device: torch.device | str = "cpu",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run a torchvision detector over tiles of a ``(3, H, W)`` input.

    Parameters
    ----------
    model
        A torchvision detection model in eval mode.
    x : ndarray (3, H, W) float32
        The detector input of the whole image (normalised once, so every tile
        shares one grey scale).
    tile, overlap : int
        Tile side and least overlap, px.

    Returns
    -------
    xyxy : ndarray (N, 4) float64, in px of ``x``
    labels : ndarray (N,) int64, torchvision's (1-based) labels
    scores : ndarray (N,) float64
    """
    _, h, w = x.shape
    th, tw = min(tile, h), min(tile, w)
    ys, xs = tile_starts(h, th, overlap), tile_starts(w, tw, overlap)
    ycores, xcores = _cores(ys, th, h), _cores(xs, tw, w)
    model.transform.min_size = (min(th, tw),)
    model.transform.max_size = max(th, tw)
    boxes, labels, scores = [], [], []
    for y0, (cy0, cy1) in zip(ys, ycores, strict=True):
        for x0, (cx0, cx1) in zip(xs, xcores, strict=True):
            part = torch.from_numpy(np.ascontiguousarray(x[:, y0 : y0 + th, x0 : x0 + tw]))
            out = model([part.to(device)])[0]
            b = out["boxes"].cpu().double().numpy() + np.array([x0, y0, x0, y0], float)
            cx, cy = (b[:, 0] + b[:, 2]) / 2.0, (b[:, 1] + b[:, 3]) / 2.0
            own = (cx >= cx0) & (cx < cx1) & (cy >= cy0) & (cy < cy1)
            boxes.append(b[own])
            labels.append(out["labels"].cpu().numpy()[own])
            scores.append(out["scores"].cpu().double().numpy()[own])
    return (
        np.concatenate(boxes).reshape(-1, 4),
        np.concatenate(labels).astype(np.int64),
        np.concatenate(scores),
    )


def auto_factor(
    coarse: float,
    sizes: np.ndarray,
    *,
    native: float = 1.0,
    target: float = AUTO_TARGET,
    small: float = AUTO_SMALL,
    min_found: int = AUTO_MIN_FOUND,
) -> float:
    """The working scale chosen from the confident boxes of a coarse pass.

    Parameters
    ----------
    coarse
        Resampling factor of the coarse pass.
    sizes : ndarray
        ``sqrt(width * height)`` of its confident boxes, px at the coarse scale.
    native
        Largest factor allowed (1: the image's own resolution).
    target, small, min_found
        See the module constants.

    Returns
    -------
    float
        ``coarse`` when the median size is at least ``small``; otherwise the
        factor that brings the median to ``target`` (when too few boxes were
        found, a median of ``small / 2.5`` is assumed: four times finer),
        capped at ``native`` and never below ``coarse``.

    Examples
    --------
    >>> auto_factor(0.25, np.array([30.0, 40.0, 25.0]))
    0.25
    >>> auto_factor(0.25, np.array([6.0, 5.0, 7.0]))
    1.0
    >>> auto_factor(0.25, np.array([]))
    1.0
    """
    sizes = np.asarray(sizes, float)
    if sizes.size >= min_found:
        med = float(np.median(sizes))
        if med >= small:
            return float(coarse)
    else:
        med = small / 2.5
    return float(max(coarse, min(native, coarse * target / max(med, 1.0))))
