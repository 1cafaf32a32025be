"""Random distractors of an image, shared by the dislocation and loop generators.

Dirt particles, an optional grain boundary, vignetting, bend contours and JPEG
compression, sampled from an :class:`~temdefects.synth.config.ArtifactConfig`
as a plain dict (the scene's ``artifacts`` entry); :mod:`temdefects.synth.draw`
draws them. Never part of any mask.
"""

from __future__ import annotations

import numpy as np

from temdefects.synth.curves import line_through_image


def sample_artifacts(cfg, shape_hw: tuple[int, int], rng: np.random.Generator) -> dict:
    """Dirt particles, an optional grain boundary, vignetting, bend contours and JPEG."""
    h, w = shape_hw
    dirt = []
    for _ in range(cfg.dirt.sample(rng)):
        r = cfg.dirt_radius.sample(rng)
        centre = np.array([rng.uniform(0, w), rng.uniform(0, h)])
        blobs = []
        for _ in range(int(rng.integers(1, 4))):
            c = centre + rng.normal(0.0, 0.4 * r, size=2)
            a = r * rng.uniform(0.5, 1.0)
            blobs.append(
                [float(c[0]), float(c[1]), a, a * rng.uniform(0.4, 1.0), rng.uniform(0.0, 180.0)]
            )
        dirt.append({"blobs": blobs, "contrast": cfg.dirt_contrast.sample(rng), "blur": 0.3 * r})
    gb = None
    if rng.random() < cfg.grain_boundary_probability:
        gb = {
            "line": line_through_image(
                [rng.uniform(0, w), rng.uniform(0, h)], rng.uniform(0.0, 180.0), shape_hw
            ),
            "step": cfg.grain_boundary_step.sample(rng),
            "line_contrast": cfg.grain_boundary_line.sample(rng),
            "width": rng.uniform(1.0, 3.0),
        }
    vignetting = None
    if rng.random() < cfg.vignetting_probability:
        vignetting = {
            "centre": [rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h],
            "strength": cfg.vignetting_strength.sample(rng),
            "power": rng.uniform(2.0, 4.0),
        }
    out = {"dirt": dirt, "grain_boundary": gb, "vignetting": vignetting}
    # Each drawn only when on, so that older presets replay unchanged.
    if cfg.bend_contours.hi > 0:
        out["bend_contours"] = [
            _bend_contour(cfg, shape_hw, rng) for _ in range(cfg.bend_contours.sample(rng))
        ]
    if cfg.jpeg_probability > 0 and rng.random() < cfg.jpeg_probability:
        out["jpeg_quality"] = int(cfg.jpeg_quality.sample(rng))
    return out


def _bend_contour(cfg, shape_hw: tuple[int, int], rng: np.random.Generator) -> dict:
    """A broad dark band along a circle arc of large radius through the image."""
    h, w = shape_hw
    diagonal = float(np.hypot(h, w))
    radius = diagonal * rng.uniform(0.4, 3.0)
    through = np.array([rng.uniform(0, w), rng.uniform(0, h)])
    angle = rng.uniform(0.0, 2.0 * np.pi)
    centre = through + radius * np.array([np.cos(angle), np.sin(angle)])
    return {
        "centre": [float(centre[0]), float(centre[1])],
        "radius": radius,
        "width": cfg.bend_contour_width.sample(rng),
        "depth": cfg.bend_contour_depth.sample(rng),
    }
