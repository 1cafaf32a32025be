"""Sampling one loop image: every random choice into a plain JSON-compatible dict.

The scene holds every sampled parameter and every noise seed;
:func:`~temdefects.synth.loops.render.render_loop_scene` is a pure function of
it, so a record replays exactly and a scene edited by hand renders too.

Order of the draws: background, per-image scale and orientations, inversion
(only when its probability is > 0), the shapes
of all defects (class by class), their positions (largest first, each tried up
to ``placement.attempts`` times until it overlaps earlier defects by at most
``placement.max_overlap`` of its own mask), line dislocations, artefacts, noise.
"""

from __future__ import annotations

import os

import numpy as np

from temdefects.synth.artifacts import sample_artifacts
from temdefects.synth.background import sample_background
from temdefects.synth.loops.config import CLASSES, LoopSynthConfig
from temdefects.synth.loops.ellipse import footprint, half_extent
from temdefects.synth.loops.render import SCENE_FORMAT, LoopSample, render_loop_scene
from temdefects.synth.scene import background_folder, image_rng


def _diameter(rng_range, log: bool, scale: float, rng: np.random.Generator) -> float:
    lo, hi = float(rng_range.lo), float(rng_range.hi)
    if log and lo < hi:
        return scale * float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    return scale * rng_range.sample(rng)


def _angle(orientation: dict, rng: np.random.Generator) -> float:
    dirs = orientation["directions"]
    if not dirs:
        return float(rng.uniform(0.0, 180.0))
    base = dirs[int(rng.integers(len(dirs)))]
    return float((base + rng.normal(0.0, 1.0) * orientation["jitter"]) % 180.0)


def _shape(cls: str, cfg, scale: float, orientation: dict, rng: np.random.Generator) -> dict:
    """Size, style and drawing parameters of one defect (its position comes later)."""
    major = _diameter(cfg.diameter, cfg.log_sizes, scale, rng)
    minor = major * cfg.aspect.sample(rng)
    b = minor / 2.0
    out = {
        "class": cls,
        "style": "dot",
        "cx": 0.0,
        "cy": 0.0,
        "major": major,
        "minor": minor,
        "angle": _angle(orientation, rng),
        "width": 0.0,
        "gap": 0.0,
        "fill": 1.0,
        "contrast": cfg.contrast.sample(rng),
        "blur": cfg.blur.sample(rng),
        "asymmetry": 0.0,
        "phase": 0.0,
    }
    if cfg.softness.hi > 0:  # no draw when off, so older presets replay their seeds
        out["blur"] += cfg.softness.sample(rng) * minor
        out["peak"] = True  # a soft blob keeps its contrast at the core
    if cls == "dot":
        return out
    out["asymmetry"] = cfg.asymmetry.sample(rng)
    out["phase"] = float(rng.uniform(0.0, 360.0))
    width = scale * cfg.ring_width.sample(rng)
    if cls == "loop111":
        if cfg.solid_probability > 0 and rng.random() < cfg.solid_probability:
            out.update(style="solid", width=min(width, b), fill=cfg.fill.sample(rng))
            return out
        # The ring keeps an open centre: at most half the semi-minor axis wide.
        out.update(style="ring", width=min(width, 0.5 * b), fill=0.0)
        return out
    double = bool(rng.random() < cfg.double_probability)
    gap = scale * cfg.ring_gap.sample(rng)
    fill = cfg.fill.sample(rng)
    if double and b - (2.0 * width + gap) >= 1.0:  # room for both rings and a hole
        out.update(style="double", width=width, gap=gap, fill=0.0)
    else:
        out.update(style="solid", width=min(width, b), fill=fill)
    return out


def sample_orientation(cfg, rng: np.random.Generator) -> dict:
    """Preferred directions of one image (an empty list: uniform orientations)."""
    rng = np.random.default_rng(rng)
    if rng.random() < cfg.preferred_probability:
        n = cfg.directions.sample(rng)
        dirs = [float(x) for x in rng.uniform(0.0, 180.0, size=n)]
        return {"directions": dirs, "jitter": cfg.jitter.sample(rng)}
    return {"directions": [], "jitter": 0.0}


def place_defects(
    candidates: list, cfg, shape: tuple[int, int], rng: np.random.Generator
) -> tuple[list, dict]:
    """Give candidates positions, largest first, with limited overlap.

    Returns
    -------
    placed : the candidates that found a position, in placement order
    dropped : count per class of those that did not
    """
    rng = np.random.default_rng(rng)
    h, w = shape
    occupied = np.zeros(shape, bool)
    placed, dropped = [], dict.fromkeys(CLASSES, 0)
    order = sorted(range(len(candidates)), key=lambda i: -candidates[i]["major"])
    for i in order:
        defect = dict(candidates[i])
        a, b = defect["major"] / 2.0, defect["minor"] / 2.0
        if cfg.inside:  # pixel centres of the mask stay in [-0.5, size - 0.5]
            ex, ey = half_extent(a, b, defect["angle"])
            xs, ys = (ex - 0.5, w - 0.5 - ex), (ey - 0.5, h - 0.5 - ey)
        else:
            xs, ys = (0.0, w - 1.0), (0.0, h - 1.0)
        ok = False
        if xs[0] <= xs[1] and ys[0] <= ys[1]:
            for _ in range(cfg.attempts):
                cx, cy = float(rng.uniform(*xs)), float(rng.uniform(*ys))
                fp = footprint((cx, cy, a, b, defect["angle"]), shape)
                if fp is None:
                    continue
                y0, x0, m = fp
                window = occupied[y0 : y0 + m.shape[0], x0 : x0 + m.shape[1]]
                if np.count_nonzero(window & m) <= cfg.max_overlap * np.count_nonzero(m):
                    window |= m
                    defect.update(cx=cx, cy=cy)
                    ok = True
                    break
        if ok:
            placed.append(defect)
        else:
            dropped[defect["class"]] += 1
    return placed, dropped


def _dislocation(cfg, shape: tuple[int, int], rng: np.random.Generator) -> dict:
    """A gently curved line across part of the image (a distractor)."""
    h, w = shape
    length = cfg.length.sample(rng) * max(h, w)
    centre = np.array([rng.uniform(0, w - 1), rng.uniform(0, h - 1)])
    t = np.radians(rng.uniform(0.0, 180.0))
    u, n = np.array([np.cos(t), np.sin(t)]), np.array([-np.sin(t), np.cos(t)])
    s = np.linspace(-0.5, 0.5, 5)
    bulge = cfg.bow.sample(rng) * length * (1.0 - (2.0 * s) ** 2)
    bulge += rng.normal(0.0, 0.02 * length, size=5) * (np.abs(s) < 0.5)
    support = centre + (s * length)[:, None] * u + bulge[:, None] * n
    return {
        "support": support.tolist(),
        "width": cfg.width.sample(rng),
        "contrast": cfg.contrast.sample(rng),
        "blur": cfg.blur.sample(rng),
        "profile": cfg.profiles[int(rng.integers(len(cfg.profiles)))],
        "halo": cfg.halo.sample(rng),
    }


def sample_loop_scene(
    config: LoopSynthConfig,
    rng: np.random.Generator | int | None,
    *,
    backgrounds: str | os.PathLike | None = None,
) -> dict:
    """Draw every random choice of one loop image.

    Parameters
    ----------
    config
        Loop generator configuration.
    rng
        The image's generator (see :func:`~temdefects.synth.scene.image_rng`),
        or anything ``np.random.default_rng`` accepts.
    backgrounds
        Folder of real background crops; defaults to ``config.background.real.dir``.

    Returns
    -------
    dict
        JSON-compatible scene: ``format``, ``shape``, ``background``, ``scale``,
        ``orientation``, ``requested`` and ``dropped`` counts per class,
        ``defects`` (in placement order), ``dislocations``, ``artifacts``, ``noise``,
        ``invert`` (bright defects on dark; absent in older scenes = false).

    Raises
    ------
    ConfigError
        When real backgrounds are configured without a folder.
    """
    rng = np.random.default_rng(rng)
    shape = (int(config.size[0]), int(config.size[1]))
    background = sample_background(config.background, shape, rng, backgrounds)
    scale = config.scale.sample(rng)
    orientation = sample_orientation(config.orientation, rng)
    invert = bool(config.invert_probability > 0 and rng.random() < config.invert_probability)
    candidates, requested = [], {}
    for cls in CLASSES:
        cfg = getattr(config, cls)
        requested[cls] = cfg.count.sample(rng)
        candidates.extend(_shape(cls, cfg, scale, orientation, rng) for _ in range(requested[cls]))
    defects, dropped = place_defects(candidates, config.placement, shape, rng)
    dc = config.dislocations
    dislocations = [_dislocation(dc, shape, rng) for _ in range(dc.count.sample(rng))]
    artifacts = sample_artifacts(config.artifacts, shape, rng)
    nc = config.noise
    noise = None
    if rng.random() < nc.probability:
        noise = {
            "sigma": nc.sigma.sample(rng),
            "blur": nc.blur.sample(rng),
            "seed": int(rng.integers(2**63)),
        }
    return {
        "format": SCENE_FORMAT,
        "shape": list(shape),
        "background": background,
        "scale": scale,
        "orientation": orientation,
        "requested": requested,
        "dropped": dropped,
        "defects": defects,
        "dislocations": dislocations,
        "artifacts": artifacts,
        "noise": noise,
        "invert": invert,
    }


def generate_loop(config: LoopSynthConfig, seed: int, index: int) -> LoopSample:
    """Sample and render image ``index`` of a run with ``seed``.

    Examples
    --------
    >>> from temdefects.synth.loops.config import load_loop_config
    >>> cfg = load_loop_config("default", overrides={"size": [64, 64]})
    >>> generate_loop(cfg, seed=0, index=0).image.shape
    (64, 64)
    """
    backgrounds = background_folder(config)
    scene = sample_loop_scene(config, image_rng(seed, index), backgrounds=backgrounds)
    return render_loop_scene(scene, backgrounds=backgrounds)
