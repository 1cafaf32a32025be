"""Rendering a particle scene: a pure function of the scene dict.

Image formation (all intensities relative to the support level 1):

1. support signal ``S`` (speckle and undulation, :mod:`.support`), plus the
   substrate's where one is configured (:mod:`.substrate`);
2. each particle adds ``m (c t + f F)`` inside its bounding box: soft mask ``m``,
   mass-thickness contrast ``c`` times relative thickness ``t``, fringe contrast
   ``f`` times the lattice image ``F`` (:mod:`.lattice`); a later particle's
   label overwrites an earlier one where they overlap;
3. ``I = 1 + S + P`` (``haadf``: particles bright) or ``I = 1 - S - P``
   (``hrtem``: particles dark), clipped at 0;
4. Gaussian blur (partial coherence); where configured, additive correlated
   noise (the reconstruction noise of tomography slices, in vacuum too);
   scaling to the expected electron counts per px (dose times pixel area),
   Poisson shot noise, Gaussian read noise;
5. a percentile stretch to uint8 or uint16.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from temdefects.errors import ConfigError
from temdefects.synth.background import gaussian
from temdefects.synth.particles.lattice import fringe_pattern
from temdefects.synth.particles.outline import max_radius, signed_distance, soft_mask, thickness
from temdefects.synth.particles.scene import SCENE_FORMAT
from temdefects.synth.particles.substrate import substrate_field
from temdefects.synth.particles.support import support_field


@dataclass(frozen=True)
class ParticleSample:
    """A rendered image with its ground truth.

    Attributes
    ----------
    image : (H, W) uint8 or uint16
    labels : (H, W) int32, 0 background, ``k`` where particle ``k`` is on top
    particles : list of dict, one row per particle (see :func:`particle_table`)
    scene : the dict that :func:`render_particle_scene` rendered
    """

    image: np.ndarray
    labels: np.ndarray
    particles: list
    scene: dict = field(repr=False)


def _box(particle: dict, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    reach = max_radius(particle["outline"]) + particle["edge_width"]
    cx, cy = particle["centre"]
    x0, x1 = max(0, math.floor(cx - reach)), min(shape[1], math.ceil(cx + reach) + 1)
    y0, y1 = max(0, math.floor(cy - reach)), min(shape[0], math.ceil(cy + reach) + 1)
    return y0, y1, x0, x1


def draw_particle(signal: np.ndarray, labels: np.ndarray, particle: dict) -> None:
    """Add one particle's signal to ``signal`` and its id to ``labels``, in place.

    Only the particle's bounding box is computed. Pixel ``(row i, column j)`` has
    its centre at ``x = j, y = i``.
    """
    y0, y1, x0, x1 = _box(particle, signal.shape)
    if y0 >= y1 or x0 >= x1:
        return
    cx, cy = particle["centre"]
    xs = (np.arange(x0, x1, dtype=np.float32) - np.float32(cx))[None, :]
    ys = (np.arange(y0, y1, dtype=np.float32) - np.float32(cy))[:, None]
    dist, rho = signed_distance(particle["outline"], xs, ys)
    mask = soft_mask(dist, particle["edge_width"])
    value = np.float32(particle["contrast"]) * thickness(rho, particle["dome"])
    if particle["lattice"] is not None and particle["fringe_contrast"] > 0:
        fringes = fringe_pattern(xs, ys, particle["lattice"], particle["planes"])
        value += np.float32(particle["fringe_contrast"]) * fringes
    signal[y0:y1, x0:x1] += mask * value
    labels[y0:y1, x0:x1][dist <= 0] = particle["id"]


def _plane_row(particle: dict, plane: dict) -> dict:
    """A defect plane as a line: direction, offset and its chord through the particle."""
    normal = particle["lattice"]["fault_normal_deg"]
    t = math.radians(normal)
    nx, ny = math.cos(t), math.sin(t)
    o = plane["offset_px"]
    reach = max_radius(particle["outline"])
    s = np.arange(-reach, reach + 0.25, 0.25, dtype=np.float32)
    dx, dy = o * nx - s * ny, o * ny + s * nx
    inside = signed_distance(particle["outline"], dx, dy)[0] <= 0
    cx, cy = particle["centre"]
    ends = []
    if inside.any():
        idx = np.flatnonzero(inside)[[0, -1]]
        ends = [[round(cx + float(dx[i]), 2), round(cy + float(dy[i]), 2)] for i in idx]
    return {
        "kind": plane["kind"],
        "angle_deg": float((normal + 90.0) % 180.0),
        "offset_px": plane["offset_px"],
        "shift": plane["shift"],
        "endpoints": ends,
    }


def particle_table(scene: dict, labels: np.ndarray) -> list[dict]:
    """One row per particle of ``scene``: the ground truth a classifier learns.

    Returns
    -------
    list of dict
        ``id``, ``class``, ``centre`` ``[x, y]`` px, ``diameter_px``, ``diameter_nm``
        (area-equivalent), ``shape``, ``projection`` (None for ``no_fringes``),
        ``area_px`` (visible pixels in ``labels``) and ``fault_planes`` (``kind``,
        line direction ``angle_deg``, ``offset_px`` from the centre along the normal,
        ``shift`` in periods, chord ``endpoints`` ``[[x0, y0], [x1, y1]]``).
    """
    particles = scene["particles"]
    areas = np.bincount(labels.ravel(), minlength=len(particles) + 1)
    rows = []
    for p in particles:
        lattice = p["lattice"]
        rows.append(
            {
                "id": p["id"],
                "class": p["class"],
                "centre": [round(p["centre"][0], 3), round(p["centre"][1], 3)],
                "diameter_px": 2.0 * p["outline"]["radius_px"],
                "diameter_nm": p["diameter_nm"],
                "shape": p["outline"]["kind"],
                "projection": None if lattice is None else lattice["projection"],
                "area_px": int(areas[p["id"]]) if p["id"] < len(areas) else 0,
                "fault_planes": [_plane_row(p, plane) for plane in p["planes"]],
            }
        )
    return rows


def _correlated_noise(shape: tuple[int, int], im: dict) -> np.ndarray:
    """Additive noise of std ``correlated_noise``, white noise smoothed by ``noise_length_px``."""
    white = np.random.default_rng([int(im["seed"]), 1]).standard_normal(shape, dtype=np.float32)
    field = gaussian(white, float(im["noise_length_px"]))
    field -= field.mean()
    std = float(field.std())
    scale = float(im["correlated_noise"]) / std if std > 0 else 0.0
    return field * np.float32(scale)


def _stretch(counts: np.ndarray, clip_percent: float, dtype: str) -> np.ndarray:
    top = 255.0 if dtype == "uint8" else 65535.0
    lo, hi = np.percentile(counts, [clip_percent, 100.0 - clip_percent])
    if hi <= lo:
        hi = lo + 1.0
    scaled = (counts - np.float32(lo)) * np.float32(top / (hi - lo))
    return (np.clip(scaled, 0.0, top) + np.float32(0.5)).astype(dtype)


def render_particle_scene(scene: dict) -> ParticleSample:
    """Render image, label image and particle table of a scene (deterministic).

    Parameters
    ----------
    scene
        From :func:`~temdefects.synth.particles.scene.sample_particle_scene`, or a
        record's ``scene`` (possibly edited by hand).

    Returns
    -------
    ParticleSample

    Raises
    ------
    ConfigError
        The dict is not a particle scene.
    """
    if not isinstance(scene, dict) or scene.get("format") != SCENE_FORMAT:
        got = scene.get("format") if isinstance(scene, dict) else type(scene).__name__
        raise ConfigError(f"scene.format: expected {SCENE_FORMAT!r}, got {got!r}")
    shape = tuple(int(s) for s in scene["shape"])
    signal = support_field(shape, scene["support"])
    signal += substrate_field(shape, scene.get("substrate"))
    labels = np.zeros(shape, np.int32)
    for particle in scene["particles"]:
        draw_particle(signal, labels, particle)
    im = scene["imaging"]
    if im["mode"] == "haadf":
        intensity = np.float32(1.0) + signal
    else:
        intensity = np.float32(1.0) - signal
    np.maximum(intensity, 0.0, out=intensity)
    intensity = gaussian(intensity, im["blur_px"])
    if im.get("correlated_noise", 0.0) > 0:
        intensity += _correlated_noise(shape, im)
        np.maximum(intensity, 0.0, out=intensity)
    counts = intensity * np.float32(im["counts_per_px"])
    rng = np.random.default_rng(int(im["seed"]))
    if im["shot_noise"]:
        counts = rng.poisson(counts).astype(np.float32)
    if im["read_noise"] > 0:
        counts += np.float32(im["read_noise"]) * rng.standard_normal(shape, dtype=np.float32)
    image = _stretch(counts, im["clip_percent"], im["dtype"])
    return ParticleSample(
        image=image, labels=labels, particles=particle_table(scene, labels), scene=scene
    )
