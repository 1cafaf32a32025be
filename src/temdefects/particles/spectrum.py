"""Power-spectrum helpers of the particle features: ring medians, Bragg spots, fringe phase.

Coordinates are those of an unshifted ``numpy.fft.fft2`` of size (n, n):
index ``i`` is the frequency ``numpy.fft.fftfreq(n)[i]`` in cycles per px.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi


def ring_medians(power: np.ndarray, rbin: np.ndarray) -> np.ndarray:
    """Median of ``power`` per integer ring index ``rbin`` (one sort, not one per ring)."""
    flat, rings = power.ravel(), rbin.ravel()
    order = np.lexsort((flat, rings))
    counts = np.bincount(rings)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    medians = np.zeros(len(counts))
    has = counts > 0
    medians[has] = flat[order[starts[has] + counts[has] // 2]]
    return medians


def find_spots(
    ratio: np.ndarray,
    power: np.ndarray,
    band: np.ndarray,
    half: np.ndarray,
    radius: int,
    threshold: float,
    relative: float,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Local maxima of ``ratio`` in ``band`` and ``half``, strongest first.

    Parameters
    ----------
    ratio, power
        (n, n) power over its ring median, and the power.
    band, half
        (n, n) bool: the frequencies looked at, and one half-plane (a real
        image's spectrum is point symmetric, so each spot has a twin).
    radius
        Half-width of the non-maximum suppression window, bins.
    threshold, relative
        A spot needs ``ratio >= threshold`` and at least ``relative`` times the
        strongest spot's power (leakage of a strong spot into the quiet rings of
        a noise-free crop is no spot).

    Returns
    -------
    coords : int (M, 2)
        Maxima (row, column), strongest ratio first (also those below threshold).
    values : float (M,)
        Their ratios.
    count : int
        How many are spots.

    Notes
    -----
    Maxima are found over the whole band (both half-planes), so a spot whose
    peak lies just outside ``half`` does not leave a false maximum beside it.
    """
    size = 2 * radius + 1
    masked = np.where(band, ratio, -1.0)  # maxima within the band only
    peak = (masked == ndi.maximum_filter(masked, size=size, mode="wrap")) & band & half
    if not peak.any():  # wrapped windows can suppress every maximum of a thin band
        peak = np.zeros_like(peak)
        allowed = band & half
        peak.flat[np.flatnonzero(allowed)[np.argmax(ratio[allowed])]] = True
    coords = np.argwhere(peak)
    values = ratio[peak]
    order = np.argsort(-values, kind="stable")
    coords, values = coords[order], values[order]
    strong = values >= threshold
    if strong.any():
        powers = power[coords[:, 0], coords[:, 1]]
        strong &= powers >= relative * powers[strong].max()
    return coords, values, int(strong.sum())


def spot_shape(
    power: np.ndarray, centre: np.ndarray, radius: int, core: float
) -> tuple[float, float]:
    """Elongation and streak ratio of the power in a window around one spot.

    Parameters
    ----------
    power
        (n, n) power spectrum.
    centre
        (row, column) of the spot.
    radius
        Half-width of the window, bins.
    core
        Radius of the spot's core (one resolution element), left out of the
        streak ratio.

    Returns
    -------
    elongation : float
        sqrt of the ratio of the eigenvalues of the power-weighted second
        moments (power above the window's median); 1 for a round spot.
    streak : float
        Mean power on a line of half-width 1 bin through the spot along its
        long axis over the mean power elsewhere in the window, both outside the
        core.
    """
    n = power.shape[0]
    offs = np.arange(-radius, radius + 1)
    ys = (centre[0] + offs) % n
    xs = (centre[1] + offs) % n
    win = power[np.ix_(ys, xs)]
    q = np.clip(win - np.median(win), 0.0, None)
    dy, dx = np.meshgrid(offs, offs, indexing="ij")
    total = q.sum()
    if total <= 0:
        return 1.0, 1.0
    my, mx = (q * dy).sum() / total, (q * dx).sum() / total
    cyy = (q * (dy - my) ** 2).sum() / total
    cxx = (q * (dx - mx) ** 2).sum() / total
    cxy = (q * (dy - my) * (dx - mx)).sum() / total
    evals, evecs = np.linalg.eigh(np.array([[cyy, cxy], [cxy, cxx]]))
    elongation = math.sqrt(max(evals[1], 1e-12) / max(evals[0], 1e-12))
    axis = evecs[:, 1]
    across = np.abs(-dy * axis[1] + dx * axis[0])
    outside = np.hypot(dy, dx) > core
    line = outside & (across <= 1.0)
    rest = outside & ~line
    if not line.any() or not rest.any():
        return elongation, 1.0
    streak = (win[line].mean() + 1e-12) / (win[rest].mean() + 1e-12)
    return elongation, float(streak)


def fringe_phase(
    spectrum: np.ndarray,
    g: tuple[float, float],
    freq_sigma: float,
    window: np.ndarray,
    interior: np.ndarray,
    side: int,
) -> tuple[float, float, float]:
    """Local fringe phase and amplitude at spot ``g`` by complex demodulation.

    Parameters
    ----------
    spectrum
        (n, n) complex FFT of the windowed crop (zero-padded from ``side``).
    g
        (ky, kx) of the spot, cycles per px.
    freq_sigma
        Width of the Gaussian band pass around ``g``, cycles per px.
    window
        (side, side) the window the crop was multiplied by (amplitudes are
        divided by it).
    interior
        (side, side) bool: the pixels to measure.
    side
        Size of the crop.

    Returns
    -------
    discontinuity : float
        rms deviation of the phase gradient from its median, in periods per
        period (wrapped differences of neighbours, so no unwrapping).
    dispersion : float
        Circular variance of the phase after removing the median gradient,
        weighted by amplitude.
    amplitude_cv : float
        Coefficient of variation of the amplitude.

    All three are 0 when fewer than 8 pixels have an amplitude of at least a
    fifth of the largest.
    """
    n = spectrum.shape[0]
    k = np.fft.fftfreq(n)
    ky, kx = np.meshgrid(k, k, indexing="ij")
    band = np.exp(-((ky - g[0]) ** 2 + (kx - g[1]) ** 2) / (2.0 * freq_sigma**2))
    z = np.fft.ifft2(spectrum * band)[:side, :side]
    yy, xx = np.mgrid[:side, :side]
    z = z * np.exp(-2j * np.pi * (g[0] * yy + g[1] * xx))
    amp = np.abs(z) / np.maximum(window, 1e-3)
    use = interior & (amp >= 0.2 * amp[interior].max()) if interior.any() else interior
    if use.sum() < 8:
        return 0.0, 0.0, 0.0
    gx = np.angle(z[:, 1:] * np.conj(z[:, :-1]))
    gy = np.angle(z[1:] * np.conj(z[:-1]))
    ux, uy = use[:, 1:] & use[:, :-1], use[1:] & use[:-1]
    if ux.sum() < 4 or uy.sum() < 4:
        return 0.0, 0.0, 0.0
    mx, my = np.median(gx[ux]), np.median(gy[uy])
    period = 1.0 / max(math.hypot(g[0], g[1]), 1e-9)
    rms = math.sqrt(0.5 * (np.mean((gx[ux] - mx) ** 2) + np.mean((gy[uy] - my) ** 2)))
    discontinuity = rms * period / (2.0 * np.pi)
    phase = np.angle(z[use]) - (mx * xx[use] + my * yy[use])
    weights = amp[use]
    total = float(weights.sum())
    if total <= 0:  # no fringe amplitude at all: nothing to disperse
        return 0.0, 0.0, 0.0
    dispersion = 1.0 - abs(np.sum(weights * np.exp(1j * phase))) / total
    cv = float(amp[use].std() / max(amp[use].mean(), 1e-12))
    return float(discontinuity), float(dispersion), cv


__all__ = ["find_spots", "fringe_phase", "ring_medians", "spot_shape"]
