"""Sampling one nanoparticle image: every random choice into a JSON-compatible scene.

The scene holds all sampled parameters (in px, converted from the physical
units of the configuration) and every noise seed, so
:func:`temdefects.synth.particles.render.render_particle_scene` is a pure
function of it, a record replays exactly and a scene edited by hand renders too.
"""

from __future__ import annotations

import math

import numpy as np

from temdefects.synth.particles.config import ParticleSynthConfig, nm_to_px
from temdefects.synth.particles.lattice import (
    FAULT_PROJECTIONS,
    sample_lattice,
    sample_planes,
)
from temdefects.synth.particles.outline import max_radius, sample_outline
from temdefects.synth.particles.substrate import on_substrate, sample_substrate, substrate_mask
from temdefects.synth.particles.support import sample_support

SCENE_FORMAT = "temdefects.synth.particles.scene/1"


def _pick(options: tuple, rng: np.random.Generator):
    return options[int(rng.integers(len(options)))]


def _fits(
    centre: tuple[float, float], reach: float, placed: list[tuple[float, float, float]], ov: float
) -> bool:
    """Overlap rule: centre distance >= (1 - ov)(R1 + R2), and the smaller
    particle keeps at least half its radius outside the larger one."""
    for x, y, r in placed:
        dist = math.hypot(centre[0] - x, centre[1] - y)
        need = max((1.0 - ov) * (reach + r), abs(reach - r) + 0.5 * min(reach, r))
        if dist < need:
            return False
    return True


def _place(
    reach: float,
    shape: tuple[int, int],
    placed: list,
    cfg,
    rng: np.random.Generator,
    mask: np.ndarray | None = None,
) -> tuple[float, float] | None:
    """A free centre for a particle; with ``mask``, only on the substrate."""
    rows, cols = shape
    lo = reach if cfg.inside else 0.0
    if cols - 2 * lo <= 0 or rows - 2 * lo <= 0:
        return None
    for _ in range(cfg.placement_tries):
        centre = (float(rng.uniform(lo, cols - lo)), float(rng.uniform(lo, rows - lo)))
        if mask is not None and not on_substrate(mask, centre):
            continue
        if _fits(centre, reach, placed, cfg.max_overlap):
            return centre
    return None


def _sample_class(config: ParticleSynthConfig, rng: np.random.Generator) -> str:
    c = config.classes
    u = rng.random()
    if u < c.fault:
        return "fault"
    if u < c.fault + c.no_fault:
        return "no_fault"
    return "no_fringes"


def _sample_crystal(
    cls: str, radius: float, pixel_size: float, config: ParticleSynthConfig, rng
) -> tuple[dict | None, list]:
    lc = config.lattice
    if cls == "no_fringes":
        return None, []
    options = lc.projections
    if cls == "fault":
        options = tuple(p for p in options if p in FAULT_PROJECTIONS)
    lattice = sample_lattice(
        _pick(options, rng),
        lattice_constant=lc.lattice_constant.sample(rng),
        pixel_size=pixel_size,
        orientation=lc.orientation.sample(rng),
        minor_weight=lc.minor_weight.sample(rng),
        rng=rng,
    )
    if cls == "no_fault":
        return lattice, []
    dc = config.defects
    planes = sample_planes(
        lattice,
        count=dc.planes.sample(rng),
        kinds=dc.kinds,
        shift=dc.shift,
        min_spacing=dc.min_spacing,
        extent_px=dc.extent * radius,
        rng=rng,
    )
    return lattice, planes


def sample_particles(
    config: ParticleSynthConfig,
    shape: tuple[int, int],
    pixel_size: float,
    rng,
    substrate: dict | None = None,
) -> list[dict]:
    """Draw the particles of one image; particles that find no free place are dropped.

    With a ``substrate`` whose ``on_substrate`` chance is above 0, that share
    of the particles is placed on it.

    Returns
    -------
    list of dict
        Per particle: ``id`` (1..K, also the drawing order: later ones lie on top),
        ``class``, ``centre`` ``[x, y]`` (px, x = column), ``diameter_nm``,
        ``outline`` (see :mod:`~temdefects.synth.particles.outline`), ``edge_width``,
        ``contrast``, ``dome``, ``fringe_contrast``, ``lattice`` (None for
        ``no_fringes``) and ``planes`` (defect planes, empty unless ``fault``).
    """
    rng = np.random.default_rng(rng)
    pc = config.particles
    particles: list[dict] = []
    placed: list[tuple[float, float, float]] = []
    mask = None
    if substrate is not None and substrate["on_substrate"] > 0:
        mask = substrate_mask(shape, substrate)
    for _ in range(pc.count.sample(rng)):
        diameter_nm = pc.diameter.sample(rng)
        radius = nm_to_px(diameter_nm, pixel_size) / 2.0
        outline = sample_outline(
            _pick(pc.shapes, rng),
            radius,
            aspect=pc.aspect.sample(rng),
            facets=pc.facets.sample(rng),
            irregularity=pc.irregularity.sample(rng),
            rng=rng,
        )
        reach = max_radius(outline)
        on = mask is not None and rng.random() < substrate["on_substrate"]
        centre = _place(reach, shape, placed, pc, rng, mask if on else None)
        if centre is None:
            continue
        placed.append((centre[0], centre[1], reach))
        cls = _sample_class(config, rng)
        lattice, planes = _sample_crystal(cls, radius, pixel_size, config, rng)
        particles.append(
            {
                "id": len(particles) + 1,
                "class": cls,
                "centre": [centre[0], centre[1]],
                "diameter_nm": float(diameter_nm),
                "outline": outline,
                "edge_width": pc.edge_width.sample(rng),
                "contrast": pc.contrast.sample(rng),
                "dome": pc.dome.sample(rng),
                "fringe_contrast": config.lattice.contrast.sample(rng) if lattice else 0.0,
                "lattice": lattice,
                "planes": planes,
            }
        )
    return particles


def sample_particle_scene(
    config: ParticleSynthConfig, rng: np.random.Generator | int | None = None
) -> dict:
    """Draw every random choice of one image into a JSON-compatible dict.

    Parameters
    ----------
    config
        Particle generator configuration.
    rng
        The image's generator (see :func:`temdefects.synth.scene.image_rng`), a seed or None.

    Returns
    -------
    dict
        ``format``, ``shape`` ``[H, W]``, ``pixel_size_pm``, ``support`` (speckle
        parameters and seed), ``substrate`` (only when configured, see
        :mod:`~temdefects.synth.particles.substrate`), ``particles`` (see
        :func:`sample_particles`) and
        ``imaging`` (mode, blur, dose, noise seed, output type).

    Examples
    --------
    >>> from temdefects.synth.particles import load_particle_config, render_particle_scene
    >>> small = {"size": [128, 128], "particles": {"count": 2, "diameter": 1.0}}
    >>> cfg = load_particle_config(overrides=small)
    >>> sample = render_particle_scene(sample_particle_scene(cfg, 0))
    >>> sample.image.shape, sample.labels.dtype
    ((128, 128), dtype('int32'))
    """
    if not isinstance(config, ParticleSynthConfig):
        raise TypeError(f"sample_particle_scene: expected ParticleSynthConfig, got {config!r}")
    rng = np.random.default_rng(rng)
    shape = tuple(int(s) for s in config.size)
    pixel_size = config.pixel_size.sample(rng)
    support = sample_support(config.support, pixel_size, rng)
    substrate = sample_substrate(config.substrate, shape, pixel_size, rng)
    particles = sample_particles(config, shape, pixel_size, rng, substrate)
    ic = config.imaging
    dose = ic.dose.sample(rng)
    imaging = {
        "mode": _pick(ic.modes, rng),
        "blur_px": ic.blur.sample(rng),
        "dose": dose,
        "counts_per_px": float(dose * (pixel_size / 100.0) ** 2),
        "shot_noise": bool(ic.shot_noise),
        "read_noise": ic.read_noise.sample(rng),
        "clip_percent": float(ic.clip_percent),
        "dtype": ic.dtype,
        "seed": int(rng.integers(2**63)),
    }
    if ic.correlated_noise.hi > 0:  # drawn last and only when on: other scenes are unchanged
        imaging["correlated_noise"] = ic.correlated_noise.sample(rng)
        imaging["noise_length_px"] = ic.noise_length.sample(rng)
    return {
        "format": SCENE_FORMAT,
        "shape": list(shape),
        "pixel_size_pm": float(pixel_size),
        "support": support,
        **({"substrate": substrate} if substrate is not None else {}),
        "particles": particles,
        "imaging": imaging,
    }


__all__ = ["SCENE_FORMAT", "sample_particle_scene", "sample_particles"]
