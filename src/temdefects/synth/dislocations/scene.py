"""One synthetic image: sample a scene (all random choices), then render it.

A *scene* is a plain JSON-compatible dict holding every sampled parameter and
every noise seed. :func:`render_scene` is a pure function of it, so the record
written next to an image replays it exactly, and a scene edited by hand (a
"digital twin" of a real frame) renders too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from temdefects.errors import ConfigError
from temdefects.synth import draw
from temdefects.synth.artifacts import sample_artifacts
from temdefects.synth.background import sample_background
from temdefects.synth.config import SynthConfig
from temdefects.synth.curves import resample, visible_segments
from temdefects.synth.dislocations.microstructure import (
    CURVE_SPACING,
    dislocation_curve,
    sample_microstructure,
    sample_traces,
)
from temdefects.synth.dislocations.shapes import load_library
from temdefects.synth.scene import background_folder, draw_line, image_rng, render_background

SCENE_FORMAT = "temdefects.synth.scene/1"


@dataclass
class Sample:
    """A rendered image with its ground truth.

    Attributes
    ----------
    image : (H, W) uint8
    masks : (K, H, W) bool, one mask per dislocation, overlaps preserved
    lines : list of K lists of (P, 2) float arrays, the visible parts of each
        centre line as ``x`` (column), ``y`` (row) points about 1 px apart
    scene : the dict that :func:`render_scene` rendered
    """

    image: np.ndarray
    masks: np.ndarray
    lines: list
    scene: dict = field(repr=False)


def sample_scene(
    config: SynthConfig,
    rng: np.random.Generator,
    *,
    backgrounds: str | os.PathLike | None = None,
    curves: list | None = None,
) -> dict:
    """Draw every random choice of one image.

    Parameters
    ----------
    config
        Dislocation generator configuration.
    rng
        The image's generator (see :func:`~temdefects.synth.scene.image_rng`).
    backgrounds
        Folder of real background crops; defaults to ``config.background.real.dir``.
        Required when ``config.background.kind == "real"``.
    curves
        Optional empty list that receives the dense centre line of every
        dislocation (reused by :func:`render_scene`).
    """
    shape = tuple(int(s) for s in config.size)
    background = sample_background(config.background, shape, rng, backgrounds)

    library = load_library(config.microstructure.shape.library)
    pileups, directions = sample_microstructure(
        config.microstructure, shape, rng, library, config.drawing, curves
    )
    dislocations = []
    for p in pileups:
        dislocations.extend(p.pop("dislocations"))
        p["n_dislocations"] = sum(d["pileup"] == p["id"] for d in dislocations)
    traces = sample_traces(config.slip_traces, pileups, directions, shape, rng)
    artifacts = sample_artifacts(config.artifacts, shape, rng)
    dc = config.drawing
    noise = None
    if rng.random() < dc.noise.probability:
        noise = {
            "sigma": dc.noise.sigma.sample(rng),
            "blur": dc.noise.blur.sample(rng),
            "seed": int(rng.integers(2**63)),
        }
    drawing = {
        "profile": dc.profiles[int(rng.integers(len(dc.profiles)))],
        "halo": dc.halo.sample(rng),
        "mask_width": dc.mask_width.sample(rng),
        "gaps_in_mask": config.microstructure.gaps_in_mask,
        "noise": noise,
    }
    return {
        "format": SCENE_FORMAT,
        "shape": list(shape),
        "background": background,
        "pileups": pileups,
        "dislocations": dislocations,
        "traces": traces,
        "artifacts": artifacts,
        "drawing": drawing,
    }


def draw_trace_line(image: np.ndarray, line: list, trace: dict) -> None:
    """One line of a slip trace, with its soft edges and opposite-contrast flank if any."""
    blur, modulation = trace.get("blur", 0.0), trace.get("modulation")
    draw.draw_straight(image, line, trace["contrast"], trace["width"], modulation, blur)
    if trace.get("flank"):
        x0, y0, x1, y1 = line
        shift = trace["width"] + 2.0 * blur  # beside the line, on the side the sign picks
        nx, ny = draw.line_normal(x0, y0, x1, y1)
        nx, ny = nx * shift, ny * shift
        if trace["flank"] < 0:
            nx, ny = -nx, -ny
        side = [x0 + nx, y0 + ny, x1 + nx, y1 + ny]
        flank = -abs(trace["flank"]) * trace["contrast"]
        draw.draw_straight(image, side, flank, trace["width"], modulation, blur)


def render_scene(
    scene: dict, *, backgrounds: str | os.PathLike | None = None, curves: list | None = None
) -> Sample:
    """Render image, masks and centre lines of a scene (deterministic).

    ``curves`` may pass the dense centre lines that :func:`sample_scene` computed.
    """
    if scene.get("format") != SCENE_FORMAT:
        raise ConfigError(f"scene.format: expected {SCENE_FORMAT!r}, got {scene.get('format')!r}")
    shape = tuple(scene["shape"])
    image = render_background(scene, backgrounds=backgrounds)
    art = scene["artifacts"]
    # Full-image pixel coordinates, only when a half-plane, a band or shading needs them.
    needs_coords = draw.needs_coords(art) or any(t["band"] for t in scene["traces"])
    coords = draw.pixel_coords(shape) if needs_coords else None
    if art["grain_boundary"]:
        draw.draw_grain_boundary(image, art["grain_boundary"], coords)
    for trace in scene["traces"]:
        if trace["band"] and len(trace["lines"]) == 2:
            draw.draw_band(image, trace["lines"], trace["band"], coords)
        for line in trace["lines"]:
            draw_trace_line(image, line, trace)
    for particle in art["dirt"]:
        draw.draw_dirt(image, particle)

    dw = scene["drawing"]
    masks = np.zeros((len(scene["dislocations"]),) + shape, bool)
    lines = []
    if curves is None or len(curves) != len(scene["dislocations"]):
        curves = [dislocation_curve(d) for d in scene["dislocations"]]
    for k, (d, curve) in enumerate(zip(scene["dislocations"], curves, strict=True)):
        draw_line(
            image,
            masks[k],
            curve,
            d,
            dw,
            gaps=d["gaps"],
            mask_width=dw["mask_width"],
            gaps_in_mask=dw["gaps_in_mask"],
            spacing=CURVE_SPACING,
            beads=d.get("beads"),
        )
        lines.append([resample(seg, 1.0) for seg in visible_segments(curve, shape)])

    draw.shade(image, art, coords)
    if dw["noise"]:
        image = draw.add_noise(image, dw["noise"])
    # In place (image is this function's own array): the same float32 steps as
    # (clip(image, 0, 1) * 255 + 0.5).astype(uint8) without three whole-image temporaries.
    np.clip(image, 0.0, 1.0, out=image)
    image *= np.float32(255.0)
    image += np.float32(0.5)
    out = draw.compressed(image.astype(np.uint8), art)
    return Sample(image=out, masks=masks, lines=lines, scene=scene)


def generate(
    config: SynthConfig, seed: int, index: int, *, backgrounds: str | os.PathLike | None = None
) -> Sample:
    """Sample and render image ``index`` of a run with ``seed``."""
    backgrounds = background_folder(config, backgrounds)
    curves: list = []
    scene = sample_scene(config, image_rng(seed, index), backgrounds=backgrounds, curves=curves)
    return render_scene(scene, backgrounds=backgrounds, curves=curves)
