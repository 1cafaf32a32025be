"""A crystalline or porous substrate under the particles (e.g. gamma-alumina).

HAADF-STEM of supported catalysts shows the particles as bright dots on a
support of grains that has its own, weaker Z contrast, with bays, pores and
vacuum around it (and, in tomography slices, streaks along one axis). The
substrate signal is

``B = level * m * (1 + mottle * M) + streaks * T``

with ``m`` the soft outline (a Perlin field above its ``1 - coverage``
quantile, blurred by ``edge`` px, round pores cut out), ``M`` a unit-std
Perlin mottle of the grains and ``T`` unit-std noise smoothed along one axis.
All of it is a pure function of the parameter dict that :func:`sample_substrate`
draws, so a scene replays exactly.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from temdefects.synth.background import gaussian
from temdefects.synth.particles.config import SubstrateConfig, nm_to_px
from temdefects.synth.perlin import perlin


def sample_substrate(
    cfg: SubstrateConfig, shape: tuple[int, int], pixel_size: float, rng: np.random.Generator
) -> dict | None:
    """Draw the substrate of one image in px, or None when ``coverage`` is 0.

    No random number is drawn when the substrate is off, so scenes of presets
    without one are unchanged.
    """
    if cfg.coverage.hi <= 0:
        return None
    rows, cols = shape
    pores = []
    for _ in range(cfg.pores.sample(rng)):
        radius = nm_to_px(cfg.pore_diameter.sample(rng), pixel_size) / 2.0
        pores.append([float(rng.uniform(0, cols)), float(rng.uniform(0, rows)), radius])
    return {
        "coverage": cfg.coverage.sample(rng),
        "length_px": nm_to_px(cfg.length.sample(rng), pixel_size),
        "level": cfg.level.sample(rng),
        "mottle": cfg.mottle.sample(rng),
        "mottle_length_px": nm_to_px(cfg.mottle_length.sample(rng), pixel_size),
        "pores": pores,
        "edge_px": cfg.edge.sample(rng),
        "on_substrate": float(cfg.on_substrate),
        "streaks": cfg.streaks.sample(rng),
        "streak_length_px": cfg.streak_length.sample(rng),
        "streak_axis": int(rng.integers(2)),
        "seed": int(rng.integers(2**63)),
    }


def substrate_mask(shape: tuple[int, int], params: dict) -> np.ndarray:
    """Soft outline ``m`` in [0, 1] (float32) of the substrate, pores cut out."""
    rows, cols = shape
    coverage = float(params["coverage"])
    if coverage <= 0:
        return np.zeros(shape, np.float32)
    rng = np.random.default_rng([int(params["seed"]), 0])
    field = perlin(shape, max(float(params["length_px"]), 2.0), rng=rng, octaves=3)
    cut = float(np.quantile(field, 1.0 - coverage)) if coverage < 1 else -np.inf
    hard = (field > cut).astype(np.float32)
    if params["pores"]:
        holes = np.zeros(shape, np.uint8)
        for x, y, r in params["pores"]:
            cv2.circle(holes, (round(x * 16), round(y * 16)), max(1, round(r * 16)), 1, -1, 8, 4)
        hard[holes > 0] = 0.0
    return np.clip(gaussian(hard, float(params["edge_px"])), 0.0, 1.0)


def _unit(field: np.ndarray) -> np.ndarray:
    field -= field.mean()
    std = float(field.std())
    return field / np.float32(std) if std > 0 else field


def substrate_field(shape: tuple[int, int], params: dict | None) -> np.ndarray:
    """Signal ``B`` of the substrate (float32, ``shape``); zeros when ``params`` is None."""
    if params is None:
        return np.zeros(shape, np.float32)
    mask = substrate_mask(shape, params)
    rng = np.random.default_rng([int(params["seed"]), 1])
    mottle = _unit(perlin(shape, max(float(params["mottle_length_px"]), 1.5), rng=rng, octaves=2))
    signal = np.float32(params["level"]) * mask * (1.0 + np.float32(params["mottle"]) * mottle)
    if params["streaks"] > 0:
        white = np.random.default_rng([int(params["seed"]), 2]).standard_normal(
            shape, dtype=np.float32
        )
        along = max(float(params["streak_length_px"]) / 2.0, 0.5)
        ksize = (0, 0)
        sx, sy = (0.7, along) if params["streak_axis"] == 0 else (along, 0.7)
        streak = cv2.GaussianBlur(white, ksize, sigmaX=sx, sigmaY=sy)
        signal += np.float32(params["streaks"]) * _unit(streak)
    return signal.astype(np.float32, copy=False)


def on_substrate(mask: np.ndarray, centre: tuple[float, float]) -> bool:
    """Whether ``centre`` ``(x, y)`` lies where the soft outline is at least one half."""
    x, y = (
        min(max(math.floor(centre[0]), 0), mask.shape[1] - 1),
        min(max(math.floor(centre[1]), 0), mask.shape[0] - 1),
    )
    return bool(mask[y, x] >= 0.5)


__all__ = ["on_substrate", "sample_substrate", "substrate_field", "substrate_mask"]
