"""Particles of 5-15 px and of 100-500 px: are both found? (issue 19, scale handling)

Generated images with exact masks, at scales chosen so that the particles
span the two ranges the issue names:

* ``haadf-small``: the ``haadf-tomography`` preset as it is (1-4 nm at
  150-350 pm/px: 3-27 px), built-in model ``haadf``;
* ``haadf-large``: the same preset at 12-15 pm/px with 1.5-6 nm particles
  (100-500 px), model ``haadf``;
* ``hrtem-large``: the ``default`` HRTEM preset at 12-20 pm/px (2-6 nm: 100-500
  px), model ``hrtem``.

Each set is analysed three times: without a pixel size (the image as it
is), without one but with ``pyramid=True`` (``particles analyze --pyramid``:
halved copies are searched for particles too large for the model), and with
the true pixel size (the pipeline then resamples it into the model's training
range). Reported per set and mode: pooled Dice, instance precision,
recall and F1 at IoU 0.5 (one-to-one), and recall per true size bin
(area-equivalent diameter in px), and per set the pyramid's time as a ratio
to the plain pass without a pixel size, measured in the same run. Nothing
here is chosen on these images.

Run: ``python benchmarks/particles_scale.py [--images 6] [--seed 31] [--threads 2]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from temdefects.particles import analyze_particles, load_particle_model
from temdefects.particles.evaluate import match_labels
from temdefects.synth.particles.files import generate_particle_image
from temdefects.synth.particles.loading import load_particle_config

SETS = {
    "haadf-small": ("haadf-tomography", {}, "haadf"),
    "haadf-large": (
        "haadf-tomography",
        {"size": [1024, 1024], "pixel_size": [12, 15], "particles": {"diameter": [1.5, 6.0]}},
        "haadf",
    ),
    "hrtem-large": ("default", {"pixel_size": [12, 20]}, "hrtem"),
}
BINS = (0, 5, 15, 50, 100, 500, 10_000)
RULE = "one-to-one at IoU >= 0.5 between predicted and true particle labels"


def _diameters(labels: np.ndarray) -> np.ndarray:
    areas = np.bincount(labels.ravel())[1:]
    return 2.0 * np.sqrt(areas[areas > 0] / np.pi)


def score(model, samples, with_pixel_size: bool, pyramid: bool = False) -> dict:
    inter = total = tp = n_pred = n_true = 0
    hit = np.zeros(len(BINS) - 1)
    count = np.zeros(len(BINS) - 1)
    for sample in samples:
        pixel = sample.scene["pixel_size_pm"] / 1000.0 if with_pixel_size else None
        result = analyze_particles(model, sample.image, pixel_size=pixel, pyramid=pyramid)
        truth = sample.labels
        pred, true = result.labels > 0, truth > 0
        inter += int((pred & true).sum())
        total += int(pred.sum()) + int(true.sum())
        pairs = match_labels(result.labels, truth, min_iou=0.5)
        tp += len(pairs)
        ids = np.unique(truth[truth > 0])
        n_pred, n_true = n_pred + int(result.labels.max()), n_true + len(ids)
        found = {int(t) for _, t, _ in pairs}
        areas = np.bincount(truth.ravel())
        for t in ids:
            d = 2.0 * np.sqrt(areas[t] / np.pi)
            k = int(np.digitize(d, BINS)) - 1
            count[k] += 1
            hit[k] += int(t) in found
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_true if n_true else 0.0
    return {
        "dice": round(2.0 * inter / total, 3) if total else None,
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
        "recall_by_size": {
            f"{BINS[k]}-{BINS[k + 1]} px": (round(hit[k] / count[k], 3), int(count[k]))
            for k in range(len(BINS) - 1)
            if count[k]
        },
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=6, help="images per set")
    ap.add_argument("--seed", type=int, default=31)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    ap.add_argument(
        "--haadf-model", default="haadf", help="model for the HAADF sets (default: built-in haadf)"
    )
    args = ap.parse_args()
    if args.images < 1 or args.threads < 1:
        ap.error("--images and --threads must be >= 1")
    torch.set_num_threads(args.threads)
    print(f"matching rule: {RULE}")
    print("| set | model | pixel size given | Dice | P | R | F1 | recall by true diameter (n) |")
    modes = ((False, False), (False, True), (True, False))  # (pixel size given, pyramid)
    print("|---|---|---|---|---|---|---|---|")
    for name in args.sets:
        preset, overrides, model_name = SETS[name]
        config = load_particle_config(preset, overrides=overrides)
        samples = [generate_particle_image(config, args.seed, i) for i in range(args.images)]
        if model_name == "haadf":
            model_name = args.haadf_model
        model = load_particle_model(model_name)
        seconds = {}
        for given, pyramid in modes:
            t0 = time.perf_counter()
            s = score(model, samples, given, pyramid)
            seconds[given, pyramid] = time.perf_counter() - t0
            bins = ", ".join(f"{k}: {v[0]} ({v[1]})" for k, v in s["recall_by_size"].items())
            mode = "yes" if given else "no, pyramid" if pyramid else "no"
            print(
                f"| {name} | {model_name} | {mode} | {s['dice']} | "
                f"{s['precision']} | {s['recall']} | {s['f1']} | {bins} |  "
                f"({seconds[given, pyramid]:.0f} s)",
                flush=True,
            )
        ratio = seconds[False, True] / max(seconds[False, False], 1e-9)
        print(f"{name}: the pyramid takes {ratio:.2f}x the time of the plain pass (same run)")
    return 0


if __name__ == "__main__":
    from script_errors import run

    run(main)
