"""Generated loop images against real micrographs: texture, defect size, visibility, density.

Reads the real sets of ``../shared/realdata/loops`` (skips a set that is
absent) and any folders written by ``temdefects loops synth``, and prints one
row per set with the 10/50/90 % quantiles of (see
:mod:`temdefects.loops.realism`):

* ``grain``: fine-scale noise (std of image minus its 2 px blur, relative to
  the median), ``mottle``: std of the 8 px blur;
* ``size``: longer side of the labelled boxes, px, at the scale the detector
  works at (``--work``: longer side resampled to that many px; 0 = native);
* ``depth``: darkening of a defect's core relative to the ring around it;
  ``vis``: depth / grain, the visibility the detector sees;
* ``extent``: half-depth diameter of a blob over the square root of its box
  area (dark defects of 10 px and more): how far hand labels (or generated
  boxes) sit inside the visible blob;
* ``density``: labelled defects per megapixel at the working scale.

Real labels are partial on some sets (Ti: clear defects only), so densities
there are lower bounds. Writes ``OUT/realism.json`` and, with matplotlib,
``OUT/realism.png`` (histograms of size and visibility per set).

Run: ``python benchmarks/loops_realism.py -o OUT [--synth DIR ...] [--work 512]
[--max-images 12]``
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from realdata_loops import ROOT, _sets
from temdefects.io import read_grey
from temdefects.loops.groundtruth import read_truth
from temdefects.loops.realism import blob_extent, defect_stats, density, summarise, texture
from temdefects.loops.train_data import stem_of


def _measure(items, work: int) -> dict:
    """Pool the statistics over ``(image, boxes)`` pairs at working scale."""
    grain, mottle, size, depth, vis, dens, extent = [], [], [], [], [], [], []
    for image, boxes in items:
        f = 1.0 if not work else work / max(image.shape)
        if abs(f - 1.0) > 1e-6:
            h, w = (round(s * f) for s in image.shape)
            image = cv2.resize(image.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
            boxes = np.asarray(boxes, float) * f
        t = texture(image)
        s = defect_stats(image, boxes)
        grain.append(t["grain"])
        mottle.append(t["mottle"])
        size.extend(s["size"])
        depth.extend(s["depth"])
        vis.extend(s["visibility"])
        dens.append(density(len(boxes), image.shape))
        big = np.asarray(boxes, float).reshape(-1, 4)
        big = big[np.maximum(big[:, 2], big[:, 3]) >= 10]
        extent.extend(
            e
            for e, d in zip(blob_extent(image, big), defect_stats(image, big)["depth"], strict=True)
            if d > 0
        )
    return {
        "images": len(grain),
        "defects": len(size),
        "grain": summarise(grain),
        "mottle": summarise(mottle),
        "size": summarise(size),
        "depth": summarise(depth),
        "vis": summarise(vis),
        "density": summarise(dens),
        "extent": summarise(extent),
        "_size": [float(v) for v in size],
        "_vis": [float(v) for v in vis if np.isfinite(v)],
    }


def _real_items(name: str, spec: dict, limit: int):
    paths = [p for p in spec["images"] if p.is_file()][:limit]
    images = {stem_of(p.name): read_grey(p) for p in paths}
    truth = spec["truth"]({k: v.shape for k, v in images.items()})
    return [(img, truth[k].boxes) for k, img in images.items() if k in truth]


def _synth_items(folder: Path, limit: int):
    truth = read_truth(folder / "annotations.json", format="coco").defects
    items = []
    for stem in sorted(truth)[:limit]:
        path = folder / f"{stem}.png"
        if path.is_file():
            items.append((read_grey(path), truth[stem].boxes))
    return items


def _plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for name, r in results.items():
        axes[0].hist(
            r["_size"], bins=np.geomspace(2, 300, 30), histtype="step", density=True, label=name
        )
        axes[1].hist(np.clip(r["_vis"], -2, 20), bins=40, histtype="step", density=True, label=name)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("defect size at working scale, px")
    axes[1].set_xlabel("visibility (core darkening / grain)")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", required=True, help="output folder")
    ap.add_argument("--synth", nargs="*", default=[], help="generated folders to compare")
    ap.add_argument("--sets", nargs="*", default=["li2018", "creme", "ti"])
    ap.add_argument("--work", type=int, default=512, help="working longer side (0: native)")
    ap.add_argument("--max-images", type=int, default=12, help="images per set")
    ap.add_argument("--root", default=str(ROOT), help="real loop data folder")
    args = ap.parse_args()
    root = Path(args.root)
    results = {}
    if root.is_dir():
        specs = _sets(root)
        for name in args.sets:
            items = _real_items(name, specs[name], args.max_images)
            if items:
                results[name] = _measure(items, args.work)
    else:
        print(f"real sets skipped: {root} is absent")
    for folder in args.synth:
        folder = Path(folder)
        results[folder.name] = _measure(_synth_items(folder, args.max_images), args.work)
    if not results:
        print("nothing to measure")
        return 0
    keys = ("grain", "mottle", "size", "depth", "vis", "extent", "density")
    print(f"quantiles 10/50/90 % at working size {args.work or 'native'}")
    print(f"{'set':<18}{'imgs':>5}{'defects':>8}  " + "  ".join(f"{k:<20}" for k in keys))
    for name, r in results.items():
        cells = "  ".join(f"{'/'.join(f'{v:.3g}' for v in r[k]):<20}" for k in keys)
        print(f"{name:<18}{r['images']:>5}{r['defects']:>8}  {cells}")
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    clean = {n: {k: v for k, v in r.items() if not k.startswith("_")} for n, r in results.items()}
    (out / "realism.json").write_text(json.dumps({"work": args.work, "sets": clean}, indent=1))
    _plot(results, out / "realism.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
