"""Preview grids: images next to their masks overlaid in colour (like the paper's Fig. 3)."""

from __future__ import annotations

import colorsys

import cv2
import numpy as np


def tile_grid(tiles: list, *, columns: int, gap: int) -> np.ndarray:
    """Equal (H, W, 3) uint8 tiles in rows of ``columns``, ``gap`` px of white between them.

    A :func:`skimage.util.montage` without its outer border; empty cells of the
    last row are white.
    """
    from skimage.util import montage

    columns = min(columns, len(tiles))
    rows = -(-len(tiles) // columns)
    grid = montage(
        np.stack(tiles),
        fill=(255, 255, 255),
        grid_shape=(rows, columns),
        padding_width=gap,
        channel_axis=-1,
    )
    return np.ascontiguousarray(grid[gap:-gap, gap:-gap].astype(np.uint8))


def sample_grid(name: str, samples: list, tile, *, columns: int, cell: int, gap: int) -> np.ndarray:
    """``tile(sample, cell)`` of every sample in a :func:`tile_grid`, after checking the request.

    Raises
    ------
    ValueError
        Without samples, or for ``columns < 1`` or ``cell < 16``, naming ``name``.
    """
    if not samples:
        raise ValueError(f"{name}: no samples")
    if columns < 1 or cell < 16:
        raise ValueError(f"{name}: columns must be >= 1 and cell >= 16, got {columns}, {cell}")
    return tile_grid([tile(s, cell) for s in samples], columns=columns, gap=gap)


def palette(n: int) -> np.ndarray:
    """``n`` well-separated BGR colours (golden-ratio hues), uint8 (n, 3)."""
    cols = []
    for k in range(n):
        r, g, b = colorsys.hsv_to_rgb((0.13 + 0.618034 * k) % 1.0, 0.85, 1.0)
        cols.append((int(b * 255), int(g * 255), int(r * 255)))
    return np.array(cols, np.uint8).reshape(-1, 3)


def overlay(image: np.ndarray, masks: np.ndarray, *, alpha: float = 0.6) -> np.ndarray:
    """BGR image with each mask blended in its own colour (later masks on top)."""
    if image.ndim != 2:
        raise ValueError(f"overlay: expected a 2D image, got shape {image.shape}")
    if masks.ndim != 3 or masks.shape[1:] != image.shape:
        raise ValueError(f"overlay: masks {masks.shape} do not match image {image.shape}")
    out = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR).astype(np.float32)
    for m, colour in zip(masks, palette(len(masks)), strict=True):
        out[m] = (1 - alpha) * out[m] + alpha * colour.astype(np.float32)
    return out.astype(np.uint8)


def preview_grid(samples: list, *, columns: int = 4, cell: int = 256) -> np.ndarray:
    """Grid of ``image | overlay`` pairs, each pair one cell of the grid.

    Parameters
    ----------
    samples
        Objects with ``image`` (H, W) uint8 and ``masks`` (K, H, W) bool.
    columns
        Pairs per row.
    cell
        Side of each scaled image in px.
    """
    if not samples:
        raise ValueError("preview_grid: no samples")
    tiles = []
    for s in samples:
        pair = [cv2.cvtColor(s.image, cv2.COLOR_GRAY2BGR), overlay(s.image, s.masks)]
        pair = [cv2.resize(p, (cell, cell), interpolation=cv2.INTER_AREA) for p in pair]
        tile = np.concatenate([pair[0], np.full((cell, 4, 3), 255, np.uint8), pair[1]], axis=1)
        label = f"{len(s.masks)} dislocations"
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)
        cv2.rectangle(tile, (2, 2), (10 + tw, 10 + th + base), (0, 0, 0), thickness=-1)
        cv2.putText(
            tile,
            label,
            (6, 6 + th),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45,
            (255, 255, 255),
            1,
            cv2.LINE_AA,
        )
        tiles.append(tile)
    return tile_grid(tiles, columns=columns, gap=8)
