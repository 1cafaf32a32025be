"""Vectorised 2D Perlin (gradient) noise.

No maintained PyPI package offers vectorised Perlin noise at an arbitrary
wavelength (``perlin-numpy`` needs the image size to be a multiple of the
lattice count; ``noise`` evaluates one pixel per Python call, which
``benchmarks/bench_synth.py`` measures as the paper's baseline). This is the
classic algorithm evaluated for all pixels at once: random unit gradients on a
square lattice with cell size ``wavelength`` pixels, quintic fade, bilinear blend.
"""

from __future__ import annotations

import numpy as np


def _fade(t: np.ndarray) -> np.ndarray:
    return t * t * t * (t * (t * 6.0 - 15.0) + 10.0)


def perlin_single(shape: tuple[int, int], wavelength: float, *,
                  rng: np.random.Generator | int | None) -> np.ndarray:
    """One octave of Perlin noise.

    Parameters
    ----------
    shape
        ``(rows, cols)`` of the output.
    wavelength
        Lattice cell size in pixels; the field varies on this length scale.
    rng
        Source of the random gradients and of the lattice offset.

    Returns
    -------
    ndarray of float32, shape ``shape``, values in about [-1, 1] (zero mean).
    """
    rows, cols = (int(s) for s in shape)
    if rows < 1 or cols < 1:
        raise ValueError(f"perlin: shape must be positive, got {shape}")
    if not wavelength > 0:
        raise ValueError(f"perlin: wavelength must be > 0, got {wavelength}")
    rng = np.random.default_rng(rng)
    # A random sub-cell offset keeps lattice nodes (where the noise is 0) off pixel 0.
    off_y, off_x = rng.uniform(0.0, 1.0, size=2)
    v = np.arange(rows, dtype=np.float64) / wavelength + off_y
    u = np.arange(cols, dtype=np.float64) / wavelength + off_x
    iy = np.floor(v).astype(np.intp)
    ix = np.floor(u).astype(np.intp)
    fy = (v - iy).astype(np.float32)[:, None]
    fx = (u - ix).astype(np.float32)[None, :]
    angles = rng.uniform(0.0, 2.0 * np.pi, size=(int(iy[-1]) + 2, int(ix[-1]) + 2))
    gx = np.cos(angles).astype(np.float32)
    gy = np.sin(angles).astype(np.float32)

    def corner(dy: int, dx: int) -> np.ndarray:
        r = (iy + dy)[:, None]
        c = (ix + dx)[None, :]
        return gx[r, c] * (fx - dx) + gy[r, c] * (fy - dy)

    n00, n01, n10, n11 = corner(0, 0), corner(0, 1), corner(1, 0), corner(1, 1)
    wx, wy = _fade(fx), _fade(fy)
    top = n00 + wx * (n01 - n00)
    bottom = n10 + wx * (n11 - n10)
    # sqrt(2) scales the theoretical range [-sqrt(1/2), sqrt(1/2)] to about [-1, 1].
    return (np.float32(np.sqrt(2.0)) * (top + wy * (bottom - top))).astype(np.float32)


def perlin(shape: tuple[int, int], wavelength: float, *, rng: np.random.Generator | int | None,
           octaves: int = 1, persistence: float = 0.5, lacunarity: float = 2.0) -> np.ndarray:
    """Perlin noise with optional fractal octaves.

    Octave ``k`` has wavelength ``wavelength / lacunarity**k`` and amplitude
    ``persistence**k``; ``octaves=1`` is a single wavelength as in Govind et al.
    """
    if octaves < 1:
        raise ValueError(f"perlin: octaves must be >= 1, got {octaves}")
    rng = np.random.default_rng(rng)
    out = perlin_single(shape, wavelength, rng=rng)
    for k in range(1, octaves):
        out += np.float32(persistence**k) * perlin_single(
            shape, wavelength / lacunarity**k, rng=rng)
    return out
