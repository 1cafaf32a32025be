"""A particle model on real images: Dice against the Pt masks, classes of the Au particles.

Data (outside the repository, see ../shared/realdata/README*):

* ``nanoparticles/genc-pt-alumina/val``: 15 HAADF-STEM tomography slices of Pt
  particles on gamma-alumina (Genc, Kovarik, Fraser 2022), 512x512, with masks
  (0 pore, 1 alumina, 2 Pt; images and masks pair by name). No pixel size is
  stated: the images are analysed at their own scale and, with ``--pt-scales``,
  as if they had the given pixel sizes (nm/px), which makes the pipeline
  resample them to the model's training range.
* ``nanoparticles/temul-au-haadf``: one lattice-resolved HAADF image of Au
  particles (Velox EMD, 7.5 pm/px from its metadata), no labels: the
  classifier's verdict per particle is reported.

Measured: pooled Dice (all pixels of all 15 images) of the predicted particle
mask against ``mask == 2``, and the mean of the per-image Dice over images
with Pt. Overlays go to ``OUT``.

Run: ``python benchmarks/realdata_particles.py -o OUT [--model DIR]
[--pt-scales 0.1 0.2]``
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from temdefects.io.frames import iter_frames
from temdefects.io.images import read_raw
from temdefects.particles import analyze_particles, load_particle_model
from temdefects.particles.outputs import particle_overlay

ROOT = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "nanoparticles"


def _dice_counts(pred: np.ndarray, true: np.ndarray) -> tuple[int, int]:
    return int((pred & true).sum()), int(pred.sum()) + int(true.sum())


def pt_dice(model, folder: Path, pixel_size: float | None, out: Path | None) -> dict:
    images = sorted((folder / "val_images").glob("*.tif"))
    inter = total = 0
    per_image = []
    for path in images:
        mask_path = folder / "val_masks" / path.name.replace("val_images", "val_labels")
        image, true = read_raw(path), read_raw(mask_path) == 2
        result = analyze_particles(model, image, pixel_size=pixel_size)
        pred = result.labels > 0
        i, t = _dice_counts(pred, true)
        inter, total = inter + i, total + t
        if true.any():
            per_image.append(2.0 * i / t)
        if out is not None:
            vis = particle_overlay(result.image, result.labels, [r["class"] for r in result.rows])
            edge = true ^ cv2.erode(true.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
            vis[edge] = (0, 255, 255)  # true Pt outline in yellow (BGR)
            cv2.imwrite(str(out / f"pt_{pixel_size or 'native'}_{path.stem}.png"), vis)
    return {
        "pixel_size_nm": pixel_size,
        "images": len(images),
        "dice_pooled": round(2.0 * inter / total, 4) if total else None,
        "dice_mean": round(float(np.mean(per_image)), 4) if per_image else None,
    }


def au_classes(model, path: Path, out: Path | None) -> dict:
    frame = next(iter_frames(path))
    result = analyze_particles(model, frame.image, pixel_size=frame.pixel_size)
    if out is not None:
        vis = particle_overlay(result.image, result.labels, [r["class"] for r in result.rows])
        cv2.imwrite(str(out / "au_overlay.png"), vis)
    return {
        "pixel_size_nm": frame.pixel_size,
        "resample_factor": round(result.factor, 4),
        "particles": len(result.rows),
        "classes": dict(Counter(r["class"] for r in result.rows)),
        "rows": [
            {k: r[k] for k in ("id", "diameter_nm", "class", "probability", "touches_border")}
            for r in result.rows
        ],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=None, help="folder for overlays and results")
    ap.add_argument("--model", default=None, help="particle model folder (default: shipped)")
    ap.add_argument("--root", default=str(ROOT), help="realdata/nanoparticles folder")
    ap.add_argument("--pt-scales", type=float, nargs="*", default=[], help="assumed nm/px")
    args = ap.parse_args()
    root = Path(args.root)
    if not root.is_dir():
        print(f"skipped: {root} not found")
        return 0
    out = Path(args.output) if args.output else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    model = load_particle_model(args.model)
    results = {"model": str(model.path), "pt": [], "au": None}
    pt = root / "genc-pt-alumina" / "val"
    if pt.is_dir():
        for scale in [None, *args.pt_scales]:
            res = pt_dice(model, pt, scale, out)
            results["pt"].append(res)
            print(f"Pt on alumina, pixel size {scale or 'unknown'}: {res}")
    au = sorted((root / "temul-au-haadf").glob("*.emd"))
    if au:
        results["au"] = au_classes(model, au[0], out)
        au_summary = {k: v for k, v in results["au"].items() if k != "rows"}
        print(f"Au HAADF: {au_summary}")
    if out is not None:
        (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
