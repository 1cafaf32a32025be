"""Fitting the dislocation generator to a user's labelled frames (Govind et al., section 6.1).

The paper builds its microstructure M1 from 15 hand-labelled real images: the
distributions of pile-ups per image, dislocations per pile-up, slip width,
slip direction and nearest-neighbour spacing (their Fig. 7). This module
measures the same features, plus the look of a line (its intensity profile
across, their Fig. 14: width and depth), from frames with one labelled
centre line per dislocation, and turns them into generator settings.

Conventions: a line is an ``(N, 2)`` float array of ``(x, y)`` points about
1 px apart (what :func:`temdefects.geometry.longest_path` returns and what the
generator's records hold); images are 2D arrays of any numeric type, read as
grey levels scaled to [0, 1] by their dtype's range (uint8: /255).

Measured per line:

* ``length`` (px) and ``angle`` (degrees in [0, 180), the principal direction);
* ``profile``: the median over points 2 px apart of the intensity sampled
  along the normal, from ``-half_width`` to ``+half_width`` px;
* ``contrast``: ``(b - m) / b`` with ``b`` the mean of the profile's outer
  quarter on both sides (local background) and ``m`` its minimum within 2 px
  of the line, the quantity the generator's ``drawing.contrast`` sets;
* ``width``: the full width of the profile's dip at half its depth (px).

Pile-ups: lines whose directions differ by at most ``max_angle`` degrees and
whose mean nearest-point distance (from the points of one to the other, the
smaller of the two ways) is at most ``max_gap`` px are linked, and
the linked groups (single linkage) are the pile-ups. Per pile-up:
``dislocations``; ``spacing`` (each member's mean nearest-point distance to
its closest fellow member); ``slip_width`` (the extent of its points along
the lines' mean direction: the dislocations span the slip band between the
two traces); ``angle`` (the direction in which the members are stacked: the
principal direction of their centroids, or the line direction plus 90 degrees
for a single line), which is the slip-trace direction of the generator.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

HALF_WIDTH = 10  # px each side of a line sampled for its profile


def as_unit_image(image: np.ndarray) -> np.ndarray:
    """Grey image scaled by its dtype's range to [0, 1] (float images are kept)."""
    image = np.asarray(image)
    if image.ndim == 3:
        image = image[..., :3].mean(axis=2)
    if image.ndim != 2:
        raise ValueError(f"fitting: expected a 2D image, got shape {image.shape}")
    if np.issubdtype(image.dtype, np.integer):
        return image.astype(np.float32) / np.float32(np.iinfo(image.dtype).max)
    return image.astype(np.float32)


def _unit_directions(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tangents (unit) at each point, from neighbours 2 points away, and normals."""
    n = len(points)
    lo, hi = np.clip(np.arange(n) - 2, 0, n - 1), np.clip(np.arange(n) + 2, 0, n - 1)
    t = points[hi] - points[lo]
    norm = np.linalg.norm(t, axis=1, keepdims=True)
    t = np.divide(t, norm, out=np.zeros_like(t), where=norm > 0)
    return t, np.stack([-t[:, 1], t[:, 0]], axis=1)


def line_profile(
    image: np.ndarray, line: np.ndarray, *, half_width: int = HALF_WIDTH, step: float = 2.0
) -> np.ndarray | None:
    """Median intensity across ``line`` at offsets ``-half_width..half_width`` px (or None).

    Points whose whole normal does not lie inside the image are left out.
    """
    unit = as_unit_image(image)
    line = np.asarray(line, np.float64)
    if len(line) < 5:
        return None
    seg = np.linalg.norm(np.diff(line, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    keep = np.searchsorted(arc, np.arange(0.0, arc[-1] + 1e-9, step))
    keep = np.unique(np.clip(keep, 0, len(line) - 1))
    _, normals = _unit_directions(line)
    pts, nrm = line[keep], normals[keep]
    offsets = np.arange(-half_width, half_width + 1, dtype=np.float64)
    xs = pts[:, 0, None] + offsets[None, :] * nrm[:, 0, None]
    ys = pts[:, 1, None] + offsets[None, :] * nrm[:, 1, None]
    h, w = unit.shape
    inside = (xs.min(1) >= 0) & (ys.min(1) >= 0) & (xs.max(1) <= w - 1) & (ys.max(1) <= h - 1)
    if not inside.any():
        return None
    values = ndi.map_coordinates(unit, [ys[inside].ravel(), xs[inside].ravel()], order=1)
    return np.median(values.reshape(-1, len(offsets)), axis=0)


def profile_shape(profile: np.ndarray) -> tuple[float, float]:
    """``(contrast, width)`` of a dark-line profile (see the module docstring)."""
    profile = np.asarray(profile, np.float64)
    n = len(profile)
    half = n // 2
    outer = max(1, n // 4)
    background = float(np.mean(np.concatenate([profile[:outer], profile[-outer:]])))
    core = profile[max(0, half - 2) : half + 3]
    low = float(core.min())
    if background <= 0 or low >= background:
        return 0.0, 0.0
    depth = background - low
    below = profile < background - depth / 2.0
    centre = max(0, half - 2) + int(np.argmin(core))
    left = right = centre
    while left > 0 and below[left - 1]:
        left -= 1
    while right < n - 1 and below[right + 1]:
        right += 1
    # Linear interpolation of the two half-depth crossings.
    level = background - depth / 2.0

    def cross(i_in: int, i_out: int) -> float:
        a, b = profile[i_in], profile[i_out]
        return i_in + (i_out - i_in) * (level - a) / (b - a) if b != a else float(i_in)

    x_left = cross(left, left - 1) if left > 0 else float(left)
    x_right = cross(right, right + 1) if right < n - 1 else float(right)
    return depth / background, float(x_right - x_left)


def line_angle(line: np.ndarray) -> float:
    """Principal direction of the points, degrees in [0, 180)."""
    pts = np.asarray(line, np.float64)
    centred = pts - pts.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    dx, dy = vt[0]
    return float(math.degrees(math.atan2(dy, dx)) % 180.0)


def _angle_diff(a: float, b: float) -> float:
    d = abs(a - b) % 180.0
    return min(d, 180.0 - d)


def _mean_nearest(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.spatial import cKDTree

    return float(cKDTree(b).query(a)[0].mean())


def _nearer_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance from the points of one line to the other, the smaller of the two ways
    (a short line beside a long one counts as near)."""
    return min(_mean_nearest(a, b), _mean_nearest(b, a))


def group_pileups(
    lines: list[np.ndarray], *, max_angle: float = 30.0, max_gap: float = 80.0
) -> list[list[int]]:
    """Indices of the lines of each pile-up (single linkage; see the module docstring)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(lines)
    angles = [line_angle(line) for line in lines]
    links = [
        (i, j)
        for i in range(n)
        for j in range(i + 1, n)
        if _angle_diff(angles[i], angles[j]) <= max_angle
        and _nearer_distance(lines[i], lines[j]) <= max_gap
    ]
    rows, cols = (list(c) for c in zip(*links, strict=True)) if links else ([], [])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(int(component[i]), []).append(i)
    return sorted(groups.values())


def _mean_direction(angles: list[float]) -> float:
    doubled = np.radians(np.asarray(angles) * 2.0)
    return float(math.degrees(math.atan2(np.sin(doubled).mean(), np.cos(doubled).mean())) / 2.0)


def pileup_stats(lines: list[np.ndarray], members: list[int]) -> dict:
    """``dislocations``, ``spacing`` (list), ``slip_width`` and ``angle`` of one pile-up."""
    sub = [np.asarray(lines[i], np.float64) for i in members]
    direction = _mean_direction([line_angle(s) for s in sub]) % 180.0
    t = np.array([math.cos(math.radians(direction)), math.sin(math.radians(direction))])
    pts = np.concatenate(sub)
    extent = float((pts @ t).max() - (pts @ t).min())
    spacing = []
    if len(sub) > 1:
        for k, s in enumerate(sub):
            spacing.append(min(_mean_nearest(s, o) for m, o in enumerate(sub) if m != k))
        centroids = np.array([s.mean(axis=0) for s in sub])
        stack = line_angle(centroids)
    else:
        stack = (direction + 90.0) % 180.0
    return {
        "dislocations": len(sub),
        "spacing": spacing,
        "slip_width": extent,
        "angle": stack,
    }


def frame_stats(
    image: np.ndarray,
    lines: list[np.ndarray],
    *,
    max_angle: float = 30.0,
    max_gap: float = 80.0,
    half_width: int = HALF_WIDTH,
) -> dict:
    """Per-line and per-pile-up measurements of one labelled frame.

    Returns
    -------
    dict
        ``shape``, ``lines`` (per line: ``length``, ``angle``, ``contrast``,
        ``width``, ``profile`` as a list or None) and ``pileups`` (see
        :func:`pileup_stats`).
    """
    lines = [np.asarray(line, np.float64) for line in lines if len(line) >= 5]
    rows = []
    for line in lines:
        profile = line_profile(image, line, half_width=half_width)
        contrast, width = profile_shape(profile) if profile is not None else (None, None)
        rows.append(
            {
                "length": float(np.linalg.norm(np.diff(line, axis=0), axis=1).sum()),
                "angle": line_angle(line),
                "contrast": contrast,
                "width": width,
                "profile": None if profile is None else [round(float(v), 5) for v in profile],
            }
        )
    groups = group_pileups(lines, max_angle=max_angle, max_gap=max_gap)
    return {
        "shape": list(np.shape(image)[:2]),
        "lines": rows,
        "pileups": [pileup_stats(lines, g) for g in groups],
    }


def distributions(frames: list[dict]) -> dict:
    """Pool per-frame measurements into the distributions of Fig. 7 (lists of numbers)."""
    out = {
        "pileups_per_frame": [len(f["pileups"]) for f in frames],
        "dislocations_per_frame": [len(f["lines"]) for f in frames],
        "dislocations_per_pileup": [p["dislocations"] for f in frames for p in f["pileups"]],
        "spacing": [s for f in frames for p in f["pileups"] for s in p["spacing"]],
        "slip_width": [p["slip_width"] for f in frames for p in f["pileups"]],
        "pileup_angle": [p["angle"] for f in frames for p in f["pileups"]],
        "line_length": [r["length"] for f in frames for r in f["lines"]],
        "line_width": [r["width"] for f in frames for r in f["lines"] if r["width"]],
        "line_contrast": [r["contrast"] for f in frames for r in f["lines"] if r["contrast"]],
    }
    profiles = [np.asarray(r["profile"]) for f in frames for r in f["lines"] if r["profile"]]
    out["mean_profile"] = (
        [round(float(v), 5) for v in np.mean(profiles, axis=0)] if profiles else None
    )
    return out


def _span(values: list, lo: float = 10, hi: float = 90) -> tuple[float, float] | None:
    values = [v for v in values if v is not None and np.isfinite(v)]
    if not values:
        return None
    return float(np.percentile(values, lo)), float(np.percentile(values, hi))


def _angle_range(angles: list[float]) -> list[float]:
    """A range around the mean direction if the angles are concentrated, else [0, 180]."""
    if not angles:
        return [0.0, 180.0]
    doubled = np.radians(np.asarray(angles) * 2.0)
    r = math.hypot(np.sin(doubled).mean(), np.cos(doubled).mean())
    spread = math.degrees(math.sqrt(max(-2.0 * math.log(max(r, 1e-12)), 0.0)) / 2.0)
    if spread > 30.0:
        return [0.0, 180.0]
    mean = _mean_direction(angles)
    half = max(5.0, 1.5 * spread)
    return [round(mean - half, 1), round(mean + half, 1)]


def fit_overrides(dist: dict) -> dict:
    """Generator settings (a partial config to merge over a preset) from ``distributions``.

    Ranges are the 10th to 90th percentiles of the measured values; counts are
    rounded outwards; the direction is a window around the mean direction when
    the pile-ups share one (circular spread under 30 degrees), else all
    directions. Sections or values without measurements are left out.
    """
    pile: dict = {}
    micro: dict = {"pileups": pile}
    draw: dict = {}
    span = _span(dist["pileups_per_frame"])
    if span:
        pile["count"] = [max(1, math.floor(span[0])), max(1, math.ceil(span[1]))]
        pile["directions"] = [1, max(1, min(3, math.ceil(span[1])))]
    span = _span(dist["dislocations_per_pileup"])
    if span:
        pile["dislocations"] = [max(1, math.floor(span[0])), max(1, math.ceil(span[1]))]
    span = _span(dist["spacing"])
    if span:
        pile["spacing"] = [round(max(1.0, span[0]), 1), round(max(1.5, span[1]), 1)]
        pile["spacing_growth"] = [1.0, 1.1]
    span = _span(dist["slip_width"])
    if span:
        pile["slip_width"] = [round(max(10.0, span[0]), 1), round(max(12.0, span[1]), 1)]
    if dist["pileup_angle"]:
        pile["angle"] = _angle_range(dist["pileup_angle"])
    per_frame = dist["dislocations_per_frame"]
    if per_frame:
        micro["max_dislocations"] = int(max(per_frame))
    span = _span(dist["line_width"])
    if span:
        draw["line_width"] = [round(max(0.5, span[0]), 2), round(max(0.6, span[1]), 2)]
    span = _span(dist["line_contrast"])
    if span:
        draw["contrast"] = [round(min(max(span[0], 0.02), 0.95), 3), round(min(span[1], 1.0), 3)]
    out = {"microstructure": micro}
    if draw:
        out["drawing"] = draw
    return out


def fitted_settings(frames: list[dict]) -> dict:
    """:func:`fit_overrides` of the frames' distributions plus their median ``size``."""
    overrides = fit_overrides(distributions(frames))
    h, w = (int(v) for v in np.median(np.asarray([f["shape"] for f in frames]), axis=0))
    overrides["size"] = [h, w]
    return overrides


__all__ = [
    "HALF_WIDTH",
    "as_unit_image",
    "distributions",
    "fit_overrides",
    "fitted_settings",
    "frame_stats",
    "group_pileups",
    "line_angle",
    "line_profile",
    "pileup_stats",
    "profile_shape",
]
