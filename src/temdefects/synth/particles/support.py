"""The amorphous support film (e.g. carbon) under the particles.

Amorphous carbon in HRTEM shows a fine speckle whose radially averaged power
spectrum has a broad low-frequency part and a ring (the first pass band of the
contrast transfer function, 0.3-0.6 nm for typical defoci). The speckle is white
noise filtered by ``H(k) = sqrt(1 - w) G(k) + sqrt(w) R(k)``: a Gaussian low pass
``G(k) = exp(-2 pi^2 s^2 k^2)`` (a Gaussian filter of std ``s``) and a ring
``R(k) = exp(-(k - k0)^2 / (2 (b k0)^2))`` at ``k0 = 1 / period``, each scaled to
unit variance. Slow thickness undulations of the film are Perlin noise.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

from temdefects.synth.particles.config import SupportConfig, angstrom_to_px, nm_to_px
from temdefects.synth.perlin import perlin


def sample_support(
    cfg: SupportConfig, pixel_size: float, rng: np.random.Generator | int | None
) -> dict:
    """Draw the support parameters of one image, converted to px at ``pixel_size`` pm/px."""
    rng = np.random.default_rng(rng)
    return {
        "contrast": cfg.contrast.sample(rng),
        "speckle_period_px": angstrom_to_px(cfg.speckle_period.sample(rng), pixel_size),
        "ring_width": cfg.ring_width.sample(rng),
        "ring_weight": cfg.ring_weight.sample(rng),
        "smoothing_px": angstrom_to_px(cfg.smoothing.sample(rng), pixel_size),
        "undulation": cfg.undulation.sample(rng),
        "undulation_length_px": nm_to_px(cfg.undulation_length.sample(rng), pixel_size),
        "seed": int(rng.integers(2**63)),
    }


def _variance(h: np.ndarray, width: int) -> float:
    """Variance of unit white noise filtered by the half-spectrum ``h`` (Parseval)."""
    weights = np.full(h.shape[1], 2.0)
    weights[0] = 1.0
    if width % 2 == 0:
        weights[-1] = 1.0
    return float((h.astype(np.float64) ** 2 * weights).sum() / (h.shape[0] * width))


def speckle(shape: tuple[int, int], params: dict) -> np.ndarray:
    """Zero-mean, unit-std speckle field (float32) of the support, see the module docstring."""
    rows, cols = (int(s) for s in shape)
    rng = np.random.default_rng(int(params["seed"]))
    white = rng.standard_normal((rows, cols), dtype=np.float32)
    ky = scipy.fft.fftfreq(rows).astype(np.float32)[:, None]
    kx = scipy.fft.rfftfreq(cols).astype(np.float32)[None, :]
    k = np.sqrt(kx * kx + ky * ky)
    s = float(params["smoothing_px"])
    low = np.exp(np.float32(-2.0 * math.pi**2 * s * s) * k * k)
    filt = low * np.float32(math.sqrt((1.0 - params["ring_weight"]) / _variance(low, cols)))
    k0 = 1.0 / float(params["speckle_period_px"])
    width = float(params["ring_width"]) * k0
    if params["ring_weight"] > 0:
        ring = np.exp(-((k - np.float32(k0)) ** 2) / np.float32(2.0 * width * width))
        var = _variance(ring, cols)
        if var > 1e-12:  # a ring beyond the Nyquist frequency is simply absent
            filt += ring * np.float32(math.sqrt(params["ring_weight"] / var))
    field = scipy.fft.irfft2(scipy.fft.rfft2(white) * filt, s=(rows, cols))
    field -= field.mean()
    std = float(field.std())
    return (field / np.float32(std) if std > 0 else field).astype(np.float32, copy=False)


def support_field(shape: tuple[int, int], params: dict) -> np.ndarray:
    """Support signal relative to its mean level: ``contrast * speckle + undulation * perlin``."""
    field = speckle(shape, params)
    field *= np.float32(params["contrast"])
    if params["undulation"] > 0:
        rng = np.random.default_rng([int(params["seed"]), 1])
        wave = perlin(shape, params["undulation_length_px"], rng=rng)
        field += np.float32(params["undulation"]) * wave
    return field
