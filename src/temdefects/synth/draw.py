"""Drawing (Govind et al., section 3.4): lines, masks and imaging artefacts.

Each dislocation is drawn from the exact distance of every nearby pixel to its
dense centre line (a KD-tree query in a narrow band around the line). A line
profile turns distance into coverage, so widths are sub-pixel exact, any profile
can be used, and the mask (all pixels within ``mask_width / 2`` of the same
centre line) is consistent with the drawn line by construction. Lines darken the
image multiplicatively, ``I <- I * (1 - contrast * coverage)``, so a line is
always darker than its local background.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial import cKDTree

from temdefects.synth.background import gaussian

SQRT8LN2 = 2.0 * np.sqrt(2.0 * np.log(2.0))  # FWHM = SQRT8LN2 * sigma


# ------------------------------------------------------------------ line profiles


def profile(distance: np.ndarray, width: float, kind: str, halo: float = 0.35) -> np.ndarray:
    """Coverage in [0, 1] of a line of ``width`` px at ``distance`` px from its centre.

    ``flat``: an anti-aliased solid line (box filter of the pixel footprint);
    ``gaussian``: a Gaussian with full width at half maximum ``width``;
    ``realistic``: a dark core of 0.7 ``width`` inside a soft Gaussian halo of depth
    ``halo``, closer to the intensity profiles of real two-beam images.
    """
    d = np.asarray(distance, np.float32)
    if kind == "flat":
        return np.clip(np.float32(width / 2 + 0.5) - d, 0.0, 1.0)
    if kind == "gaussian":
        sigma = width / SQRT8LN2
        return np.exp(-0.5 * (d / np.float32(sigma)) ** 2)
    if kind == "realistic":
        core = np.clip(np.float32(0.35 * width + 0.5) - d, 0.0, 1.0)
        soft = np.float32(halo) * np.exp(-0.5 * (d / np.float32(0.9 * width)) ** 2)
        return np.maximum(core, soft)
    raise ValueError(f"profile: unknown kind {kind!r}")


def profile_radius(width: float, kind: str) -> float:
    """Distance beyond which :func:`profile` is (numerically) zero."""
    if kind == "flat":
        return width / 2 + 1.0
    if kind == "gaussian":
        return 3.0 * width / SQRT8LN2 + 1.0
    return max(0.35 * width + 1.0, 2.7 * width + 1.0)


# ------------------------------------------------------------------ distance bands


def band_distances(curve: np.ndarray, shape: tuple[int, int], radius: float):
    """Pixels within ``radius`` of a dense polyline, with their exact distances.

    Returns
    -------
    rows, cols : int arrays
    dist : float32 array, distance in px to the nearest curve point
    nearest : int array, index of that curve point (arc position / spacing)
    """
    h, w = shape
    lo = np.floor(curve.min(axis=0) - radius - 1).astype(int)
    hi = np.ceil(curve.max(axis=0) + radius + 1).astype(int)
    x0, y0 = max(lo[0], 0), max(lo[1], 0)
    x1, y1 = min(hi[0], w - 1), min(hi[1], h - 1)
    empty = (np.empty(0, int), np.empty(0, int), np.empty(0, np.float32), np.empty(0, int))
    if x1 < x0 or y1 < y0:
        return empty
    canvas = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    pts = np.round((curve - [x0, y0]) * 16).astype(np.int32)
    # A thick 8-connected polyline is a cheap superset of the band.
    cv2.polylines(canvas, [pts], False, 1, thickness=int(2 * radius + 3), lineType=cv2.LINE_8,
                  shift=4)
    rr, cc = np.nonzero(canvas)
    if rr.size == 0:
        return empty
    rr, cc = rr + y0, cc + x0
    dist, idx = cKDTree(curve).query(np.column_stack([cc, rr]), distance_upper_bound=radius)
    keep = np.isfinite(dist)
    return rr[keep], cc[keep], dist[keep].astype(np.float32), idx[keep]


def gap_factor(arc: np.ndarray, total: float, gaps: list) -> np.ndarray:
    """Multiplier in [0, 1] that fades a line out inside its gaps.

    ``gaps`` holds ``[position (fraction of length), length px]`` pairs.
    """
    factor = np.ones_like(arc, dtype=np.float32)
    for pos, length in gaps:
        d = np.abs(arc - pos * total) - 0.5 * length
        factor = np.minimum(factor, np.clip(d / 1.5, 0.0, 1.0).astype(np.float32))
    return factor


def draw_dislocation(image: np.ndarray, mask: np.ndarray, curve: np.ndarray, *, width: float,
                     contrast: float, blur: float, kind: str, halo: float, gaps: list,
                     mask_width: float, gaps_in_mask: bool, spacing: float) -> None:
    """Darken ``image`` along ``curve`` and set its ``mask``, in place.

    One distance band serves both: the line's coverage is ``profile(distance)``
    (faded inside ``gaps``, then blurred by ``blur`` px), the mask is every pixel
    within ``mask_width / 2`` of the centre line (minus the gaps when
    ``gaps_in_mask``).
    """
    line_radius = profile_radius(width, kind) + 3.0 * blur
    rr, cc, dist, idx = band_distances(curve, image.shape, max(line_radius, mask_width / 2.0))
    if rr.size == 0:
        return
    fade = gap_factor(idx * spacing, (len(curve) - 1) * spacing, gaps) if gaps else None
    in_mask = dist <= mask_width / 2.0
    if fade is not None and gaps_in_mask:
        in_mask &= fade >= 0.5
    mask[rr[in_mask], cc[in_mask]] = True

    cov = profile(dist, width, kind, halo)
    if fade is not None:
        cov *= fade
    pad = int(np.ceil(3 * blur)) + 1
    y0, x0 = max(rr.min() - pad, 0), max(cc.min() - pad, 0)
    y1, x1 = min(rr.max() + pad + 1, image.shape[0]), min(cc.max() + pad + 1, image.shape[1])
    roi = np.zeros((y1 - y0, x1 - x0), np.float32)
    roi[rr - y0, cc - x0] = cov
    roi = gaussian(roi, blur)
    image[y0:y1, x0:x1] *= 1.0 - np.float32(contrast) * roi


# ------------------------------------------------------------------ straight features


def _coords(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
    return xx, yy


def signed_distance(line: list, xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
    """Signed distance of pixels to the infinite line through ``[x0, y0, x1, y1]``."""
    x0, y0, x1, y1 = line
    length = np.hypot(x1 - x0, y1 - y0)
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    return (xx - np.float32(x0)) * np.float32(nx) + (yy - np.float32(y0)) * np.float32(ny)


def draw_straight(image: np.ndarray, line: list, contrast: float, width: float,
                  coords: tuple) -> None:
    """Multiply ``image`` by ``1 + contrast * coverage`` of an anti-aliased straight line."""
    d = np.abs(signed_distance(line, *coords))
    cov = np.clip(np.float32(width / 2 + 0.5) - d, 0.0, 1.0)
    image *= 1.0 + np.float32(contrast) * cov


def draw_band(image: np.ndarray, lines: list, contrast: float, coords: tuple) -> None:
    """Multiply the band between two parallel lines by ``1 + contrast`` (soft edges)."""
    s = signed_distance(lines[0], *coords)
    s_other = float(signed_distance(lines[0], np.float32(lines[1][0]),
                                    np.float32(lines[1][1])))
    lo, hi = min(0.0, s_other), max(0.0, s_other)
    cov = np.clip(s - np.float32(lo) + 0.5, 0, 1) * np.clip(np.float32(hi) - s + 0.5, 0, 1)
    image *= 1.0 + np.float32(contrast) * cov


def draw_grain_boundary(image: np.ndarray, gb: dict, coords: tuple) -> None:
    """A brightness step across a straight boundary, plus the boundary line."""
    s = signed_distance(gb["line"], *coords)
    side = np.clip(s / 1.5 + 0.5, 0.0, 1.0)
    image *= 1.0 + np.float32(gb["step"]) * side
    draw_straight(image, gb["line"], gb["line_contrast"], gb["width"], coords)


def draw_dirt(image: np.ndarray, particle: dict) -> None:
    """Darken (or brighten) a cluster of small blurred ellipses."""
    h, w = image.shape
    blobs = np.asarray(particle["blobs"], float)
    reach = blobs[:, 2].max() + 3 * particle["blur"] + 2
    x0 = int(max(np.floor(blobs[:, 0].min() - reach), 0))
    y0 = int(max(np.floor(blobs[:, 1].min() - reach), 0))
    x1 = int(min(np.ceil(blobs[:, 0].max() + reach), w - 1))
    y1 = int(min(np.ceil(blobs[:, 1].max() + reach), h - 1))
    if x1 < x0 or y1 < y0:
        return
    yy, xx = np.mgrid[y0:y1 + 1, x0:x1 + 1].astype(np.float32)
    cov = np.zeros_like(xx)
    for cx, cy, a, b, angle in blobs:
        t = np.radians(angle)
        dx, dy = xx - cx, yy - cy
        qx = dx * np.cos(t) + dy * np.sin(t)
        qy = -dx * np.sin(t) + dy * np.cos(t)
        f = np.sqrt((qx / a) ** 2 + (qy / b) ** 2)
        cov = np.maximum(cov, np.clip((1.0 - f) * np.sqrt(a * b) + 0.5, 0.0, 1.0))
    cov = gaussian(cov, particle["blur"])
    image[y0:y1 + 1, x0:x1 + 1] *= 1.0 - np.float32(particle["contrast"]) * cov


def vignette(image: np.ndarray, v: dict, coords: tuple) -> None:
    """Darken towards the border: ``1 - strength * (r / r_max) ** power``."""
    xx, yy = coords
    cx, cy = v["centre"]
    r = np.hypot(xx - np.float32(cx), yy - np.float32(cy))
    h, w = image.shape
    r_max = max(np.hypot(cx - x, cy - y) for x in (0, w - 1) for y in (0, h - 1))
    image *= 1.0 - np.float32(v["strength"]) * (r / np.float32(r_max)) ** np.float32(v["power"])


def add_noise(image: np.ndarray, noise: dict) -> np.ndarray:
    """Add Gaussian noise of std ``sigma`` (after smoothing with ``blur`` px)."""
    rng = np.random.default_rng(noise["seed"])
    n = rng.standard_normal(image.shape).astype(np.float32)
    if noise["blur"] > 0:
        n = gaussian(n, noise["blur"])
        std = float(n.std())
        if std > 0:
            n /= np.float32(std)
    return image + np.float32(noise["sigma"]) * n
