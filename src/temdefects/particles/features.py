"""Per-particle features for the fault classifier (after Groschner et al. 2021).

Every feature is computed from the particle's mask and its crop of the image
(float in [0, 1], e.g. after :func:`temdefects.io.images.prepare_image`).
Shape and intensity:

``area_px``              pixels of the mask
``diameter_px``          area-equivalent diameter, 2 sqrt(area / pi)
``eccentricity``         of the ellipse with the same second moments (0 circle)
``solidity``             area over convex-hull area (1 convex)
``mean_intensity``       mean grey value inside the mask
``std_intensity``        standard deviation inside (fringes and noise)
``contrast``             mean inside minus mean of the support in a ring around it

Fourier features. The crop minus a Gaussian low pass (sigma
``max_period_px / 2``, removing the mass-thickness dome) is multiplied by a soft
window (the mask smoothed by a Gaussian), zero-padded and Fourier transformed.
Its power is divided by the median power of its ring of equal frequency (the
radial background: support speckle, noise and the isotropic rings of the
particle's outline), giving the ratio ``R``. Only frequencies ``k`` (cycles/px)
from ``max(1 / max_period_px, min_fringes / diameter)`` to
``min(1/2, 1 / min_period_px)`` count.

``n_spot_pairs``         Bragg-spot pairs: local maxima of ``R`` in one half-plane at
                         or above ``spot_threshold`` with at least
                         ``min_relative_power`` of the strongest one's power
``spot_frequency``       |k| of the strongest spot, cycles per px
``log_spot_ratio``       log10 of ``R`` at the strongest spot (fringe visibility)
``second_spot_ratio``    log10 of ``R`` at the second strongest spot pair
``spot_elongation``      largest, over the measured spots, sqrt of the eigenvalue ratio
                         of the power-weighted second moments around a spot: a
                         planar defect streaks its spots along its normal
``streak_ratio``         largest mean power on a thin line through a spot along its
                         long axis over the mean power around it (outside the core)

Fringe phase (geometric phase analysis). Around each of the ``phase_spots``
strongest spots ``g``, a Gaussian band pass (sigma 0.2 |g|) and complex
demodulation give a local fringe amplitude ``A`` and phase ``phi``; pixels inside
the particle (eroded) with ``A`` above a fifth of its maximum are used. A stacking
fault shifts the inclined fringes by 1/3 period across a line; a twin removes a
set on one side.

``phase_discontinuity``  largest rms deviation of the phase gradient from its median,
                         in periods per period (0 for perfect fringes)
``phase_dispersion``     largest circular variance of the phase after removing the
                         median gradient (0 one phase, 0.5 for two halves 1/3 apart)
``amplitude_cv``         largest coefficient of variation of ``A``
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

from temdefects.particles.config import FeatureConfig
from temdefects.particles.spectrum import find_spots, fringe_phase, ring_medians, spot_shape

# FFT size over crop side, at least (zero padding; finer spot positions than 1).
PADDING = 1.5
FEATURE_NAMES = (
    "area_px",
    "diameter_px",
    "eccentricity",
    "solidity",
    "mean_intensity",
    "std_intensity",
    "contrast",
    "n_spot_pairs",
    "spot_frequency",
    "log_spot_ratio",
    "second_spot_ratio",
    "spot_elongation",
    "streak_ratio",
    "phase_discontinuity",
    "phase_dispersion",
    "amplitude_cv",
)


def _check(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    image = np.asarray(image)
    mask = np.asarray(mask)
    if image.ndim != 2 or mask.shape != image.shape:
        raise ValueError(
            f"particle_features: expected an (H, W) image and mask of its shape, got "
            f"{image.shape} and {mask.shape}"
        )
    if not np.issubdtype(image.dtype, np.floating):
        raise ValueError(f"particle_features: expected a float image in [0, 1], got {image.dtype}")
    return image.astype(np.float64), mask.astype(bool)


def _square_crop(image, mask, side: int, centre: tuple[int, int]):
    """A ``side`` x ``side`` window centred on ``centre``; outside the image: reflect / False."""
    h, w = image.shape
    half = side // 2
    y0, x0 = centre[0] - half, centre[1] - half
    pad = max(0, -y0, -x0, y0 + side - h, x0 + side - w)
    if pad:
        image = np.pad(image, pad, mode="reflect" if pad < min(h, w) else "edge")
        mask = np.pad(mask, pad)
        y0, x0 = y0 + pad, x0 + pad
    return image[y0 : y0 + side, x0 : x0 + side], mask[y0 : y0 + side, x0 : x0 + side]


def _shape_features(mask: np.ndarray) -> tuple[float, float]:
    from skimage.measure import regionprops

    props = regionprops(mask.astype(np.uint8))[0]
    return float(props.eccentricity), float(props.solidity)


def _log10(value: float) -> float:
    """log10 floored at -12: flat (e.g. zero-filled) regions give spot powers of 0."""
    return float(np.log10(max(float(value), 1e-12)))


def particle_features(
    image: np.ndarray,
    mask: np.ndarray,
    *,
    background: np.ndarray | None = None,
    config: FeatureConfig | None = None,
) -> np.ndarray:
    """The features :data:`FEATURE_NAMES` of one particle.

    Parameters
    ----------
    image
        (H, W) float image in [0, 1].
    mask
        (H, W) bool, the particle's pixels.
    background
        (H, W) bool, pixels of no particle (for ``contrast``); default: ``~mask``.
    config
        Frequency band and spot threshold.

    Returns
    -------
    np.ndarray
        float64 (F,), in the order of :data:`FEATURE_NAMES`.

    Raises
    ------
    ValueError
        For mismatched shapes, a non-float image or an empty mask.

    Examples
    --------
    >>> yy, xx = np.mgrid[:96, :96]
    >>> disk = (yy - 48) ** 2 + (xx - 48) ** 2 < 30**2
    >>> fringes = 0.5 + 0.2 * np.cos(2 * np.pi * xx / 7.0)
    >>> f = dict(zip(FEATURE_NAMES, particle_features(fringes, disk)))
    >>> int(f["n_spot_pairs"]), round(1 / f["spot_frequency"])
    (1, 7)
    """
    cfg = config or FeatureConfig()
    image, mask = _check(image, mask)
    area = int(mask.sum())
    if area == 0:
        raise ValueError("particle_features: the mask is empty")
    if background is None:
        background = ~mask
    diameter = 2.0 * math.sqrt(area / math.pi)
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    margin = max(4, int(math.ceil(0.15 * diameter)))
    inside = image[mask]
    ring_box = (
        slice(max(0, y0 - margin), y1 + margin),
        slice(max(0, x0 - margin), x1 + margin),
    )
    box_mask = mask[ring_box]
    ring = ndi.binary_dilation(box_mask, iterations=margin) & ~box_mask & background[ring_box]
    contrast = float(inside.mean() - image[ring_box][ring].mean()) if ring.any() else 0.0
    ecc, solidity = _shape_features(mask[y0:y1, x0:x1])

    side = max(y1 - y0, x1 - x0) + 2 * margin
    crop, cmask = _square_crop(image, mask, side, ((y0 + y1) // 2, (x0 + x1) // 2))
    highpass = crop - ndi.gaussian_filter(crop, cfg.max_period_px / 2.0, mode="reflect")
    window = ndi.gaussian_filter(cmask.astype(np.float64), max(1.0, 0.04 * diameter))
    signal = highpass - np.sum(highpass * window) / window.sum()
    n = max(64, 1 << int(math.ceil(math.log2(PADDING * side))))  # zero-padded to a power of two
    spectrum = np.fft.fft2(signal * window, s=(n, n))
    power = np.abs(spectrum) ** 2
    k = np.fft.fftfreq(n)
    ky, kx = np.meshgrid(k, k, indexing="ij")
    radius = np.hypot(ky, kx)
    rbin = np.rint(radius * n).astype(np.int64)
    median = ring_medians(power, rbin)
    ratio = power / (median[rbin] + 1e-30 + 1e-12 * power.mean())
    k_lo = max(1.0 / cfg.max_period_px, cfg.min_fringes / diameter)
    k_hi = min(0.5, 1.0 / cfg.min_period_px)
    half = (ky > 0) | ((ky == 0) & (kx > 0))
    band = (radius >= k_lo) & (radius <= k_hi)
    if not (band & half).any():
        spot_part = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    else:
        res = n / diameter  # bins per resolution element of the particle's aperture
        coords, values, n_pairs = find_spots(
            ratio,
            power,
            band,
            half,
            max(2, round(1.5 * res)),
            cfg.spot_threshold,
            cfg.min_relative_power,
        )
        best = coords[0]
        second = _log10(values[1]) if len(values) > 1 else 0.0
        measured = coords[: max(1, min(cfg.phase_spots, n_pairs))]
        interior = ndi.binary_erosion(cmask, iterations=max(1, round(0.1 * diameter)))
        shapes, phases = [], []
        for c in measured:
            shapes.append(spot_shape(power, c, max(3, round(2.5 * res)), res))
            g = (ky[c[0], c[1]], kx[c[0], c[1]])
            sigma = max(0.2 * math.hypot(*g), 1.0 / n)
            phases.append(fringe_phase(spectrum, g, sigma, window, interior, side))
        spot_part = [
            float(n_pairs),
            float(radius[best[0], best[1]]),
            _log10(values[0]),
            second,
            max(s[0] for s in shapes),
            max(s[1] for s in shapes),
            max(p[0] for p in phases),
            max(p[1] for p in phases),
            max(p[2] for p in phases),
        ]
    return np.array(
        [
            float(area),
            diameter,
            ecc,
            solidity,
            float(inside.mean()),
            float(inside.std()),
            contrast,
            *spot_part,
        ]
    )


def label_features(
    image: np.ndarray,
    labels: np.ndarray,
    *,
    ids: list[int] | None = None,
    config: FeatureConfig | None = None,
) -> np.ndarray:
    """Features (N, F) of the particles ``ids`` (default 1..max) of a label image.

    Labels absent from the image give rows of NaN.
    """
    labels = np.asarray(labels)
    if labels.shape != np.shape(image):
        raise ValueError(f"label_features: labels {labels.shape} do not match {np.shape(image)}")
    ids = list(range(1, int(labels.max(initial=0)) + 1)) if ids is None else list(ids)
    out = np.full((len(ids), len(FEATURE_NAMES)), np.nan)
    objects = ndi.find_objects(labels)
    h, w = labels.shape
    for row, i in enumerate(ids):
        if i < 1 or i > len(objects) or objects[i - 1] is None:
            continue
        sy, sx = objects[i - 1]
        # A window wider than the particle's square crop and ring gives the same
        # features as the whole image, without comparing every pixel per particle.
        pad = max(sy.stop - sy.start, sx.stop - sx.start) + 8
        ys = slice(max(0, sy.start - pad), min(h, sy.stop + pad))
        xs = slice(max(0, sx.start - pad), min(w, sx.stop + pad))
        sub = labels[ys, xs]
        out[row] = particle_features(
            np.asarray(image)[ys, xs], sub == i, background=sub == 0, config=config
        )
    return out


__all__ = ["FEATURE_NAMES", "label_features", "particle_features"]
