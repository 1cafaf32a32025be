"""Small configurations and measurements for the particle-generator tests."""

import math

import numpy as np

from temdefects.schema import deep_merge
from temdefects.synth.particles import load_particle_config, sample_particle_scene

PIXEL_PM = 25.0
LATTICE_A = 4.08  # Angstrom: d111 = 2.3556 A = 9.42 px at 25 pm/px
D111_PX = LATTICE_A / math.sqrt(3.0) * 100.0 / PIXEL_PM

CLASS_PROBS = {
    "fault": {"fault": 1.0, "no_fault": 0.0, "no_fringes": 0.0},
    "no_fault": {"fault": 0.0, "no_fault": 1.0, "no_fringes": 0.0},
    "no_fringes": {"fault": 0.0, "no_fault": 0.0, "no_fringes": 1.0},
}


def quiet_config(*, size=128, cls=None, **overrides):
    """Exact circles, a fixed pixel size and lattice, weak support, nearly no noise."""
    data = {
        "size": [size, size],
        "pixel_size": PIXEL_PM,
        "particles": {
            "count": [3, 5],
            "diameter": [0.6, 1.2],
            "shapes": ["circle"],
            "irregularity": 0.0,
            "edge_width": 2.0,
            "contrast": 0.3,
            "dome": 0.0,
            "max_overlap": 0.0,
        },
        "lattice": {"lattice_constant": LATTICE_A, "projections": ["single"], "contrast": 0.2},
        "support": {"contrast": 0.03, "undulation": 0.0},
        "imaging": {"modes": ["haadf"], "blur": 0.0, "dose": 1e5, "read_noise": 0.0},
    }
    if cls is not None:
        data["classes"] = CLASS_PROBS[cls]
    return load_particle_config(overrides=deep_merge(data, overrides))


def one_particle(cls, *, size=192, diameter=4.0, seed=0, **overrides):
    """Scene of a single circular particle of class ``cls`` in the image centre."""
    data = deep_merge(
        {"particles": {"count": 1, "diameter": diameter}, "defects": {"planes": 1, "extent": 0.05}},
        overrides,
    )
    scene = sample_particle_scene(quiet_config(size=size, cls=cls, **data), seed)
    scene["particles"][0]["centre"] = [size / 2.0, size / 2.0]
    return scene


def fourier_phase(image, mask, xy, g):
    """Amplitude and phase of ``cos(2 pi g.x + phase)`` fitted to ``image`` on ``mask``.

    Projecting the pixels on the fringe normal and fitting one period is the
    same as this least-squares fit of ``c0 + a cos(2 pi g.x) + b sin(2 pi g.x)``.
    """
    x, y = xy
    w = 2.0 * math.pi * (x[mask] * g[0] + y[mask] * g[1])
    design = np.column_stack([np.ones_like(w), np.cos(w), np.sin(w)])
    (c0, a, b), *_ = np.linalg.lstsq(design, image[mask].astype(float), rcond=None)
    return math.hypot(a, b), math.atan2(-b, a)


def wrap(turns):
    """Wrap a phase in turns (periods) to [-0.5, 0.5)."""
    return (turns + 0.5) % 1.0 - 0.5


def peak_frequency(crop, *, pad=512, k_min=0.03):
    """Strongest non-DC spatial frequency (cycles/px) and its angle (deg) in a crop."""
    crop = crop.astype(float) - crop.mean()
    win = np.outer(np.hanning(crop.shape[0]), np.hanning(crop.shape[1]))
    power = np.abs(np.fft.fft2(crop * win, s=(pad, pad))) ** 2
    ky = np.fft.fftfreq(pad)[:, None]
    kx = np.fft.fftfreq(pad)[None, :]
    k = np.hypot(kx, ky)
    power[k < k_min] = 0
    i, j = np.unravel_index(np.argmax(power), power.shape)
    return float(k[i, j]), math.degrees(math.atan2(ky[i, 0], kx[0, j])) % 180.0


def band_contrast(crop, f0, *, rel=0.15):
    """Peak over median power in the annulus ``|k - f0| < rel f0`` (a Bragg-peak detector)."""
    crop = crop.astype(float) - crop.mean()
    win = np.outer(np.hanning(crop.shape[0]), np.hanning(crop.shape[1]))
    power = np.abs(np.fft.fft2(crop * win)) ** 2
    k = np.hypot(np.fft.fftfreq(crop.shape[0])[:, None], np.fft.fftfreq(crop.shape[1])[None, :])
    band = power[np.abs(k - f0) < rel * f0]
    return float(band.max() / np.median(band))
