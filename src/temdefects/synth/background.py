"""Backgrounds of synthetic images (Govind et al., sections 3.1 and 3.2).

Sampling (drawing random parameters into a plain dict) is separate from
rendering (a pure function of that dict), so a record replays exactly.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import cv2
import numpy as np

from temdefects.errors import InputFileError
from temdefects.io.images import RASTER_SUFFIXES, read_grey
from temdefects.synth.perlin import perlin


def gaussian(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian filter with reflecting borders; ``sigma <= 0`` returns the input."""
    if sigma <= 0:
        return image
    return cv2.GaussianBlur(
        image, (0, 0), sigmaX=float(sigma), sigmaY=float(sigma), borderType=cv2.BORDER_REFLECT
    )


def minmax(image: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """Scale to [0, 1] (eq. 2); a constant image becomes all zeros.

    ``out`` (which may be ``image`` itself) receives the result.
    """
    lo, hi = float(image.min()), float(image.max())
    if hi <= lo:
        if out is None:
            return np.zeros_like(image)
        out[...] = 0
        return out
    out = np.subtract(image, lo, out=out)
    out /= np.float32(hi - lo)
    return out


def perlin_background(shape: tuple[int, int], params: dict, *, stages: bool = False):
    """Purely synthetic background, equations (1)-(6) of Govind et al.

    Parameters
    ----------
    shape
        ``(rows, cols)``.
    params
        ``wavelength1``, ``wavelength2`` (lambda1, lambda2 = O1, O2 in px),
        ``w_perlin`` (w_P), ``w_white`` (w_w1), ``s1``, ``noise_density``
        (r_noise), ``s2``, ``octaves`` and the integer ``seed`` of all noise.
    stages
        Also return the intermediate arrays ``P3*, P4, ..., P7`` in a dict.

    Returns
    -------
    float32 array in [0, 1] (and the dict of stages when ``stages``).

    Notes
    -----
    ``P3 = P1(l1) + w_P P2(l2)`` (1); ``P3* = minmax(P3)`` (2);
    ``P4 = P3* + w_w1 X1`` with X1 ~ U(-1, 1) (3); ``P5 = G1(P4; s1)`` (4);
    ``P6 = P5 + sigma(P4) X2`` (5); ``P7 = G2(P6; s2)`` (6); clip to [0, 1].
    X2 is U(-1, 1) on a random fraction ``noise_density`` of the pixels and 0
    elsewhere: the paper's "spikes" with Table 1's ``r_noise``; a density of 1
    is dense white noise.
    """
    rng = np.random.default_rng(int(params["seed"]))
    octaves = int(params.get("octaves", 1))
    p1 = perlin(shape, params["wavelength1"], rng=rng, octaves=octaves)
    p2 = perlin(shape, params["wavelength2"], rng=rng, octaves=octaves)
    # In-place steps below save whole-image temporaries; every value is as written in eq. (1)-(6).
    p2 *= np.float32(params["w_perlin"])
    p1 += p2  # P3, eq. (1)
    p3s = minmax(p1, out=p1)  # eq. (2)
    x1 = rng.random(shape, dtype=np.float32)
    x1 *= np.float32(2 * params["w_white"])
    x1 -= np.float32(params["w_white"])  # w_w1 X1, X1 ~ U(-1, 1)
    x1 += p3s
    p4 = x1  # eq. (3)
    p5 = gaussian(p4, params["s1"])  # eq. (4)
    # One uniform draw u gives both the spikes' positions (u < density) and their
    # values: given u < density, u / density ~ U(0, 1), so X2 = 2 u / density - 1 there.
    density = float(params["noise_density"])
    u = rng.random(shape, dtype=np.float32)
    scale = np.float32(2.0 / density) if density > 0 else np.float32(np.inf)
    if np.isfinite(scale):
        x2 = u * scale
        x2 -= 1
        # Multiplying by the boolean mask is 10x faster than x2[u >= density] = 0 and
        # gives the same +0 there (x2 >= 1 and finite where u >= density).
        x2 *= u < density
    elif density > 0:  # density below the float32 range: the literal formula
        x2 = u * scale - 1
        x2[u >= density] = 0
    else:
        x2 = np.zeros(shape, np.float32)
    x2 *= np.float32(p4.std())
    x2 += p5
    p6 = x2  # eq. (5)
    p7 = gaussian(p6, params["s2"])  # eq. (6)
    out = np.clip(p7, 0.0, 1.0, out=p7 if not stages else None)
    if stages:
        return out, {"P3*": p3s, "P4": p4, "P5": p5, "P6": p6, "P7": p7}
    return out


def sample_perlin_params(cfg, rng: np.random.Generator) -> dict:
    """Draw one parameter set of :func:`perlin_background` from a ``PerlinConfig``."""
    return {
        "wavelength1": cfg.wavelength1.sample(rng),
        "wavelength2": cfg.wavelength2.sample(rng),
        "w_perlin": cfg.w_perlin.sample(rng),
        "w_white": cfg.w_white.sample(rng),
        "s1": cfg.s1.sample(rng),
        "noise_density": cfg.noise_density.sample(rng),
        "s2": cfg.s2.sample(rng),
        "octaves": int(cfg.octaves),
        "seed": int(rng.integers(2**63)),
    }


def sample_background(
    cfg,
    shape: tuple[int, int],
    rng: np.random.Generator,
    backgrounds: str | os.PathLike | None = None,
) -> dict:
    """Scene entry of a background: kind, sampled parameters and grey levels.

    ``cfg`` is a ``BackgroundConfig``; ``backgrounds`` overrides ``cfg.real.dir``.
    """
    from temdefects.errors import ConfigError

    if cfg.kind == "perlin":
        background = {"kind": "perlin", "params": sample_perlin_params(cfg.perlin, rng)}
    else:
        folder = backgrounds or cfg.real.dir
        if folder is None:
            raise ConfigError(
                "background.real.dir: real backgrounds need a folder of crops (--backgrounds DIR)"
            )
        background = {
            "kind": "real",
            "params": sample_real_params(list_backgrounds(folder), shape, cfg.real, rng),
        }
    background["levels"] = [cfg.low.sample(rng), cfg.high.sample(rng)]
    return background


# --------------------------------------------------------------------------- real crops


def list_backgrounds(folder: str | os.PathLike) -> list[Path]:
    """Sorted raster images (PNG/TIFF/JPG/BMP) directly inside ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: background folder not found")
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in RASTER_SUFFIXES
    )
    if not files:
        raise InputFileError(f"{folder}: no background images (PNG/TIFF/JPG) in this folder")
    return files


@functools.lru_cache(maxsize=64)
def _load_background(path: str, mtime_ns: int) -> np.ndarray:
    image = read_grey(path)
    if min(image.shape) < 8:
        raise InputFileError(f"{path}: background image too small ({image.shape})")
    return image


def load_background(path: str | os.PathLike) -> np.ndarray:
    """Read (and cache per process) a background image as float32 in [0, 1]."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: background image not found")
    return _load_background(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def file_digest(path: str | os.PathLike) -> str:
    """Short SHA-256 of a file's bytes, stored in records to detect changed backgrounds."""
    st = Path(path).stat()
    return _digest(str(path), st.st_mtime_ns, st.st_size)


def _sample_crop(
    src_shape: tuple[int, int], out_shape: tuple[int, int], cfg, rng: np.random.Generator
) -> dict:
    rot = int(rng.integers(4)) if cfg.rotate90 else 0
    flip = bool(rng.integers(2)) if cfg.flip else False
    # The crop keeps the output's aspect ratio after the 90-degree rotation.
    out_h, out_w = out_shape if rot % 2 == 0 else out_shape[::-1]
    aspect = out_w / out_h
    side = cfg.scale.sample(rng) * min(src_shape)
    ch = side if aspect <= 1 else side / aspect
    cw = ch * aspect
    ch = int(max(4, min(round(ch), src_shape[0])))
    cw = int(max(4, min(round(cw), src_shape[1])))
    y0 = int(rng.integers(0, src_shape[0] - ch + 1))
    x0 = int(rng.integers(0, src_shape[1] - cw + 1))
    return {"box": [y0, x0, ch, cw], "rot90": rot, "flip": flip}


def sample_real_params(
    files: list[Path], shape: tuple[int, int], cfg, rng: np.random.Generator
) -> dict:
    """Pick two background files and random crops, flips, rotations and an opacity."""
    picks = [int(i) for i in rng.integers(0, len(files), size=2)]
    layers = []
    for i in picks:
        image = load_background(files[i])
        layer = {"file": files[i].name, "sha256": file_digest(files[i])}
        layer.update(_sample_crop(image.shape, shape, cfg, rng))
        layers.append(layer)
    return {"layers": layers, "opacity": cfg.opacity.sample(rng)}


def _render_layer(image: np.ndarray, layer: dict, shape: tuple[int, int]) -> np.ndarray:
    y0, x0, ch, cw = layer["box"]
    crop = image[y0 : y0 + ch, x0 : x0 + cw]
    crop = np.rot90(crop, layer["rot90"])
    if layer["flip"]:
        crop = crop[:, ::-1]
    crop = np.ascontiguousarray(crop, dtype=np.float32)
    interp = cv2.INTER_AREA if crop.shape[0] > shape[0] else cv2.INTER_CUBIC
    out = cv2.resize(crop, (shape[1], shape[0]), interpolation=interp)
    lo, hi = np.percentile(out, [0.5, 99.5])
    if hi <= lo:
        return np.full(shape, 0.5, np.float32)
    return np.clip((out - lo) / np.float32(hi - lo), 0.0, 1.0)


def real_background(shape: tuple[int, int], params: dict, folder: str | os.PathLike) -> np.ndarray:
    """Superimpose the two crops recorded in ``params`` (section 3.2).

    Each crop is scaled to [0, 1] by its 0.5/99.5 percentiles; the result is
    ``(1 - opacity) * first + opacity * second``.
    """
    folder = Path(folder)
    out = None
    for layer in params["layers"]:
        path = folder / layer["file"]
        if not path.is_file():
            raise InputFileError(
                f"{path}: background image of the record not found "
                "(pass --backgrounds with the folder used to generate it)"
            )
        if file_digest(path) != layer["sha256"]:
            raise InputFileError(f"{path}: background image differs from the one recorded")
        rendered = _render_layer(load_background(path), layer, shape)
        if out is None:
            out = rendered
        else:
            a = np.float32(params["opacity"])
            out = (1 - a) * out + a * rendered
    return out.astype(np.float32)
