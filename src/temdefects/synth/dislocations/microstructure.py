"""Random dislocation microstructures (Govind et al., section 3.3) as plain dicts.

Geometry of one pile-up: the slip traces run along ``u = (cos a, sin a)`` (image
x to the right, y down, ``a`` in degrees); they are the two lines at
``-delta_d/2`` and ``+delta_d/2`` along the normal ``n = (-sin a, cos a)`` from the
start point ``p0``. Every dislocation runs from one trace to the other: its chord
is tilted by the inclination ``beta`` from ``n`` and it bulges sideways by a
normalised shape (:mod:`temdefects.synth.dislocations.shapes`). The leading
dislocation has its chord centre at ``p0``; the others trail behind it, each gap
``spacing_growth`` times the previous one (with jitter), like a pile-up against
an obstacle.
"""

from __future__ import annotations

import numpy as np

from temdefects.synth.curves import (
    add_roughness,
    line_through_image,
    spline_through,
    visible_length,
)

CURVE_SPACING = 1.0  # px between vertices of the dense centre lines (distances are exact)


def dislocation_curve(dislocation: dict) -> np.ndarray:
    """Dense centre line of a dislocation entry of a scene (spline plus roughness)."""
    dense = spline_through(np.asarray(dislocation["support"], float), spacing=CURVE_SPACING)
    rough = dislocation.get("roughness")
    if rough and rough["amplitude"] > 0:
        dense = add_roughness(
            dense, rough["amplitude"], rough["length"], rough["seed"], spacing=CURVE_SPACING
        )
    return dense


def random_shape(cfg, rng: np.random.Generator) -> np.ndarray:
    """A random normalised shape: a bulge of random height and apex, on m support points."""
    m = cfg.support_points.sample(rng)
    s = np.linspace(0.0, 1.0, m)
    bow = cfg.bow.sample(rng)
    apex = 0.5 + cfg.asymmetry.sample(rng)
    # A bump with its maximum at s = apex: s^p (1-s)^q with p/(p+q) = apex.
    p, q = 2.0 * apex, 2.0 * (1.0 - apex)
    bump = s**p * (1.0 - s) ** q
    peak = apex**p * (1.0 - apex) ** q
    return np.column_stack([s, bow * bump / peak])


def _place(
    shape: np.ndarray,
    centre: np.ndarray,
    u: np.ndarray,
    n: np.ndarray,
    width: float,
    inclination_deg: float,
    side: float,
) -> np.ndarray:
    """Map a normalised shape onto the chord across the slip band around ``centre``."""
    tan_b = np.tan(np.radians(inclination_deg))
    a = centre - 0.5 * width * (n + tan_b * u)
    b = centre + 0.5 * width * (n + tan_b * u)
    chord = b - a
    length = float(np.hypot(*chord))
    e = chord / length
    lateral = side * np.array([-e[1], e[0]])
    return a + shape[:, :1] * chord + shape[:, 1:2] * length * lateral


def _dislocation_shapes(base: np.ndarray, k: int, cfg, rng: np.random.Generator) -> list:
    shapes = []
    for _ in range(k):
        shp = base.copy()
        shp[:, 1] *= 1.0 + cfg.variation.sample(rng) * rng.uniform(-1.0, 1.0)
        jitter = cfg.jitter.sample(rng)
        if jitter > 0 and len(shp) > 2:
            shp[1:-1, 1] += rng.normal(0.0, jitter, size=len(shp) - 2)
        shapes.append(shp)
    return shapes


def sample_pileup(
    cfg,
    direction_deg: float,
    shape_hw: tuple[int, int],
    rng: np.random.Generator,
    library: dict,
    budget: int,
    drawing_cfg,
    pileup_id: int,
) -> dict:
    """One pile-up with at most ``budget`` dislocations (see the module docstring)."""
    pc, sc, mc = cfg.pileups, cfg.shape, cfg
    h, w = shape_hw
    alpha = direction_deg + pc.angle_jitter.sample(rng) * rng.uniform(-1.0, 1.0)
    u = np.array([np.cos(np.radians(alpha)), np.sin(np.radians(alpha))])
    n = np.array([-u[1], u[0]])
    width = pc.slip_width.sample(rng)
    m = pc.margin
    p0 = np.array([rng.uniform(m * w, (1 - m) * w), rng.uniform(m * h, (1 - m) * h)])
    k = min(pc.dislocations.sample(rng), budget)
    inclination = sc.inclination.sample(rng)

    if library and rng.random() < sc.library_probability:
        name = sorted(library)[int(rng.integers(len(library)))]
        base, shape_name = np.array(library[name], float), f"library:{name}"
        base[:, 1] *= 1.0 + 0.5 * sc.variation.sample(rng) * rng.uniform(-1.0, 1.0)
    else:
        base, shape_name = random_shape(sc, rng), "random"
    if rng.random() < 0.5:  # traverse the shape from the other trace
        base = np.column_stack([1.0 - base[::-1, 0], base[::-1, 1]])

    # The pile-up trails behind its leader along -motion; lines bulge towards motion.
    motion = 1.0 if rng.random() < 0.5 else -1.0
    tan_b = np.tan(np.radians(inclination))
    chord_dir = (n + tan_b * u) / np.hypot(*(n + tan_b * u))
    lateral = np.array([-chord_dir[1], chord_dir[0]])
    side = np.sign(np.dot(lateral, motion * u)) or 1.0
    if rng.random() < 0.15:
        side = -side

    gaps, gap = [], pc.spacing.sample(rng)
    growth = pc.spacing_growth.sample(rng)
    for _ in range(max(k - 1, 0)):
        gaps.append(gap * (1.0 + pc.spacing_jitter * rng.uniform(-1.0, 1.0)))
        gap *= growth
    offsets = np.concatenate([[0.0], -np.cumsum(gaps)]) * motion

    dislocations = []
    for j, shp in enumerate(_dislocation_shapes(base, k, sc, rng)):
        centre = p0 + offsets[j] * u
        support = _place(shp, centre, u, n, width, inclination, side)
        entry = {
            "pileup": pileup_id,
            "shape": shape_name,
            "support": np.round(support, 4).tolist(),
            "width": drawing_cfg.line_width.sample(rng),
            "contrast": drawing_cfg.contrast.sample(rng),
            "blur": drawing_cfg.line_blur.sample(rng),
            "roughness": {
                "amplitude": sc.roughness.sample(rng),
                "length": sc.roughness_length.sample(rng),
                "seed": int(rng.integers(2**63)),
            },
            "gaps": [],
        }
        if rng.random() < mc.discontinuous_probability:
            for _ in range(mc.gaps.sample(rng)):
                entry["gaps"].append([rng.uniform(0.1, 0.9), mc.gap_length.sample(rng)])
        if drawing_cfg.beading_probability and rng.random() < drawing_cfg.beading_probability:
            entry["beads"] = [
                drawing_cfg.bead_depth.sample(rng),
                drawing_cfg.bead_period.sample(rng),
                rng.uniform(0.0, 2.0 * np.pi),
            ]
        dislocations.append(entry)

    return {
        "id": pileup_id,
        "angle": float(alpha),
        "start": p0.round(4).tolist(),
        "slip_width": float(width),
        "inclination": float(inclination),
        "gaps": [float(g) for g in gaps],
        "traces": [
            line_through_image(p0 - 0.5 * width * n, alpha, shape_hw),
            line_through_image(p0 + 0.5 * width * n, alpha, shape_hw),
        ],
        "dislocations": dislocations,
    }


def sample_microstructure(
    cfg,
    shape_hw: tuple[int, int],
    rng: np.random.Generator,
    library: dict,
    drawing_cfg,
    curves: list | None = None,
) -> tuple[list, list]:
    """Pile-ups (each with its visible dislocations) and the slip directions of one image.

    Dislocations with less than ``min_visible_length`` px inside the image are
    dropped; the total is capped at ``max_dislocations``. When ``curves`` is a
    list, the dense centre lines of the kept dislocations are appended to it in
    order, so rendering need not compute them again.
    """
    pc = cfg.pileups
    n_dirs = pc.directions.sample(rng)
    directions = [pc.angle.sample(rng) for _ in range(n_dirs)]
    pileups, kept = [], []
    for pid in range(pc.count.sample(rng)):
        budget = cfg.max_dislocations - len(kept)
        direction = directions[int(rng.integers(len(directions)))]
        pileup = sample_pileup(
            cfg, direction, shape_hw, rng, library, max(budget, 0), drawing_cfg, pid
        )
        visible = []
        for d in pileup["dislocations"]:
            curve = dislocation_curve(d)
            if visible_length(curve, shape_hw) >= cfg.min_visible_length:
                visible.append(d)
                if curves is not None:
                    curves.append(curve)
        pileup["dislocations"] = visible
        kept.extend(visible)
        pileups.append(pileup)
    return pileups, directions


def sample_traces(
    cfg, pileups: list, directions: list, shape_hw: tuple[int, int], rng: np.random.Generator
) -> list:
    """Slip traces to draw: each pile-up's pair (by chance) and extra distractor traces."""
    h, w = shape_hw
    traces = []
    for p in pileups:
        if rng.random() < cfg.probability:
            traces.append(
                {
                    "lines": p["traces"],
                    "contrast": cfg.contrast.sample(rng),
                    "width": cfg.width.sample(rng),
                    "band": cfg.band_contrast.sample(rng)
                    if rng.random() < cfg.band_probability
                    else 0.0,
                }
            )
    for _ in range(cfg.extra.sample(rng)):
        if directions and rng.random() < 0.7:
            angle = directions[int(rng.integers(len(directions)))] + rng.normal(0.0, 1.0)
        else:
            angle = rng.uniform(0.0, 180.0)
        point = [rng.uniform(0, w), rng.uniform(0, h)]
        lines = [line_through_image(point, angle, shape_hw)]
        if cfg.double_probability > 0 and rng.random() < cfg.double_probability:
            gap = cfg.double_gap.sample(rng)
            normal = [-np.sin(np.radians(angle)), np.cos(np.radians(angle))]
            shifted = np.add(point, np.multiply(gap, normal))
            lines.append(line_through_image(shifted, angle, shape_hw))
        traces.append(
            {
                "lines": lines,
                "contrast": cfg.contrast.sample(rng),
                "width": cfg.width.sample(rng),
                "band": 0.0,
            }
        )
    if cfg.blur.hi > 0:  # each drawn only when on: older presets replay unchanged
        for trace in traces:
            trace["blur"] = cfg.blur.sample(rng)
    if cfg.flank_probability > 0:
        for trace in traces:
            if rng.random() < cfg.flank_probability:
                trace["flank"] = float(np.sign(rng.random() - 0.5)) * cfg.flank_contrast.sample(rng)
    if cfg.modulation_probability > 0:
        for trace in traces:
            if rng.random() < cfg.modulation_probability:
                trace["modulation"] = [
                    [
                        cfg.modulation_depth.sample(rng),
                        cfg.modulation_period.sample(rng),
                        float(rng.uniform(0.0, 2.0 * np.pi)),
                    ]
                    for _ in range(2)
                ]
    return traces
