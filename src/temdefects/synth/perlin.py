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


def perlin_single(
    shape: tuple[int, int], wavelength: float, *, rng: np.random.Generator | int | None
) -> np.ndarray:
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

    Notes
    -----
    With lattice gradients ``g_ij``, cell coordinates ``(fx, fy)`` and fade
    weights ``W_0 = 1 - fade(f)``, ``W_1 = fade(f)``, classic Perlin noise is
    ``sum_ij W_i(y) W_j(x) [gx_ij (fx - j) + gy_ij (fy - i)]``. Every factor
    depends on the row or on the column alone, so the whole field is two matrix
    products, ``Ay @ Gx @ Bx.T + Ay' @ Gy @ Bx'.T``, with interpolation matrices
    that have two non-zeros per row: the same values as a per-pixel evaluation,
    computed by BLAS.
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
    fy, fx = v - iy, u - ix
    angles = rng.uniform(0.0, 2.0 * np.pi, size=(int(iy[-1]) + 2, int(ix[-1]) + 2))
    gx, gy = np.cos(angles), np.sin(angles)
    wy, wx = _fade(fy), _fade(fx)

    def interp(index, n, w0, w1):
        out = np.zeros((len(index), n))
        out[np.arange(len(index)), index] = w0
        out[np.arange(len(index)), index + 1] = w1
        return out

    n_y, n_x = angles.shape
    ay = interp(iy, n_y, 1 - wy, wy)  # W_i(y)
    ay_f = interp(iy, n_y, (1 - wy) * fy, wy * (fy - 1))  # W_i(y) (fy - i)
    bx_f = interp(ix, n_x, (1 - wx) * fx, wx * (fx - 1))  # W_j(x) (fx - j)
    bx = interp(ix, n_x, 1 - wx, wx)  # W_j(x)
    left = np.concatenate([ay @ gx, ay_f @ gy], axis=1)
    right = np.concatenate([bx_f, bx], axis=1)
    # The product runs in float64 and is then rounded to float32: a multi-threaded
    # BLAS may sum in another order with other thread counts, and the float32
    # rounding hides those 1e-16 differences, so a replay is byte-identical on any
    # machine. sqrt(2) scales the range [-sqrt(1/2), sqrt(1/2)] to about [-1, 1].
    return ((left @ right.T) * np.sqrt(2.0)).astype(np.float32)


def perlin(
    shape: tuple[int, int],
    wavelength: float,
    *,
    rng: np.random.Generator | int | None,
    octaves: int = 1,
    persistence: float = 0.5,
    lacunarity: float = 2.0,
) -> np.ndarray:
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
            shape, wavelength / lacunarity**k, rng=rng
        )
    return out
