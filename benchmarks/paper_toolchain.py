"""Reference implementation of the tool chain of Govind et al. (the speed baseline).

As described in their sections 3.1-3.4: Perlin noise from the ``noise`` package
evaluated pixel by pixel (their reference [6]), equations (1)-(6) with NumPy and
SciPy, Matplotlib drawing of the image and of every mask (one figure per
dislocation, black line on an empty canvas), PNG files and a JSON record with
the dense line coordinates. It renders the same scenes as temdefects, so both
sides of the benchmark draw the same content.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import noise  # noqa: E402
import numpy as np  # noqa: E402
from scipy.ndimage import gaussian_filter  # noqa: E402

from temdefects.synth.dislocations.microstructure import dislocation_curve  # noqa: E402


def pnoise_field(shape, scale, base):
    """Perlin noise with one ``noise.pnoise2`` call per pixel."""
    rows, cols = shape
    out = np.empty(shape)
    for i in range(rows):
        for j in range(cols):
            out[i, j] = noise.pnoise2(i / scale, j / scale, octaves=1, base=base)
    return out


def background(shape, p):
    rng = np.random.default_rng(p["seed"])
    base = int(p["seed"] % 200)
    p3 = pnoise_field(shape, p["wavelength1"], base) + p["w_perlin"] * pnoise_field(
        shape, p["wavelength2"], base + 1
    )
    p3 = (p3 - p3.min()) / (p3.max() - p3.min())
    p4 = p3 + p["w_white"] * rng.uniform(-1, 1, shape)
    p5 = gaussian_filter(p4, p["s1"])
    x2 = rng.uniform(-1, 1, shape) * (rng.random(shape) < p["noise_density"])
    p7 = gaussian_filter(p5 + p4.std() * x2, p["s2"])
    return np.clip(p7, 0, 1)


def _figure(shape, dpi=100):
    h, w = shape
    fig = plt.figure(figsize=(w / dpi, h / dpi), dpi=dpi)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    ax.axis("off")
    return fig, ax


def render_and_write(scene, folder: Path, name: str, dpi=100):
    """Draw and save image, one mask PNG per dislocation and the JSON record."""
    shape = tuple(scene["shape"])
    lo, hi = scene["background"]["levels"]
    bg = lo + (hi - lo) * background(shape, scene["background"]["params"])
    curves = [dislocation_curve(d) for d in scene["dislocations"]]
    px_to_pt = 72.0 / dpi

    fig, ax = _figure(shape, dpi)
    ax.imshow(bg, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    for d, c in zip(scene["dislocations"], curves, strict=True):
        grey = str(float(np.clip(np.median(bg) * (1 - d["contrast"]), 0, 1)))
        ax.plot(c[:, 0], c[:, 1], color=grey, lw=d["width"] * px_to_pt, antialiased=True)
    fig.savefig(folder / f"{name}.png", dpi=dpi)
    plt.close(fig)

    mask_w = scene["drawing"]["mask_width"] * px_to_pt
    for k, c in enumerate(curves):
        fig, ax = _figure(shape, dpi)
        ax.plot(c[:, 0], c[:, 1], color="black", lw=mask_w, antialiased=False)
        fig.savefig(folder / f"{name}_mask{k:02d}.png", dpi=dpi, facecolor="white")
        plt.close(fig)

    # The record schema of the original generator (../shared/reference): per
    # dislocation the normalised shape and the placed line, 400 points each,
    # written with a 3-space indent.
    dislocations = {}
    for k, (d, c) in enumerate(zip(scene["dislocations"], curves, strict=True)):
        t = np.linspace(0, len(c) - 1, 400)
        xg = np.interp(t, np.arange(len(c)), c[:, 0])
        yg = np.interp(t, np.arange(len(c)), c[:, 1])
        span = max(float(np.hypot(xg[-1] - xg[0], yg[-1] - yg[0])), 1e-9)
        dislocations[f"id_{k}"] = {
            "x": ((xg - xg[0]) / span).tolist(),
            "y": ((yg - yg[0]) / span).tolist(),
            "xglobal": xg.tolist(),
            "yglobal": yg.tolist(),
            "c_factor": d["contrast"],
            "lw": d["width"],
            "support": d["support"],
        }
    record = {
        "random_seed": int(scene["background"]["params"]["seed"] % 2**31),
        "background": scene["background"],
        "dislocation": dislocations,
        "mask_lw": scene["drawing"]["mask_width"],
        "image": {"pixel": shape[0]},
    }
    (folder / f"{name}.json").write_text(json.dumps(record, indent=3))
