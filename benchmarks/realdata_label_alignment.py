"""How well the twip-8um strokes sit on dark lines, early frames against late ones.

The strokes of the labelled twip-8um frames are the ground truth of
``realdata_dislocations.py``. If the strokes of some frames do not follow the
lines of their own image (for example, strokes copied from an earlier frame
while the dislocations moved), recall on those frames is capped by the labels,
not by the model. This script measures, per frame, with no model:

- ``on``: mean local contrast under the stroke pixels (image minus its 8 px
  Gaussian background, over the image std, smoothed by 1 px; dark lines are
  negative), and ``best``, the darkest mean over shifts of the strokes by up to
  3 px (a small misregistration would show as best << on);
- ``ring``: the same 3-6 px beside the strokes;
- ``dark10``: the share of stroke pixels among the frame's darkest 10 % of
  local contrast, and ``p2``, the frame's 2nd percentile (how dark its
  darkest lines are);
- ``stroke_px`` and whether the strokes equal the previous labelled frame's;
- ``far3``, per stroke: each stroke (its skeleton path) is moved along its
  own normal by -8 ... +8 px, and the offset with the darkest mean local
  contrast is its best fit; ``far3`` is the share of strokes whose best fit
  lies 3 px or more away. Under the strict 3 px rule of
  ``realdata_dislocations.py`` even a perfect detector misses most of those,
  so ``1 - far3`` estimates the highest strict recall the labels allow.

Run: ``python benchmarks/realdata_label_alignment.py [--root DIR] [--split 150]``.
Skips cleanly when the real data folder is absent.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage as ndi

from realdata_dislocations import label_paths

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "dislocations"


def local_contrast(image: np.ndarray) -> np.ndarray:
    """Image minus its 8 px Gaussian background, over its std, smoothed by 1 px."""
    image = image.astype(np.float32)
    high = (image - cv2.GaussianBlur(image, (0, 0), 8)) / (float(image.std()) + 1e-6)
    return cv2.GaussianBlur(high, (0, 0), 1)


#: Normal offsets (px) tried for each stroke in ``far3``.
OFFSETS = np.arange(-8, 9)


def best_offsets(lc: np.ndarray, label: np.ndarray) -> list:
    """Per stroke, the normal offset (px) with the darkest mean local contrast."""
    out = []
    for path in label_paths(label):
        if len(path) < 10:
            continue
        tangent = np.gradient(path, axis=0)
        tangent /= np.linalg.norm(tangent, axis=1, keepdims=True) + 1e-9
        normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
        means = [
            ndi.map_coordinates(lc, (path + d * normal)[:, ::-1].T, order=1, mode="nearest").mean()
            for d in OFFSETS
        ]
        out.append(int(OFFSETS[int(np.argmin(means))]))
    return out


def frame_row(image: np.ndarray, strokes: np.ndarray, label: np.ndarray) -> dict:
    """The measures of the module docstring for one frame and its stroke mask."""
    lc = local_contrast(image)
    offsets = np.abs(best_offsets(lc, label))
    ring = ndi.binary_dilation(strokes, iterations=6) & ~ndi.binary_dilation(strokes, iterations=3)
    shifts = [
        float(lc[np.roll(strokes, (dy, dx), axis=(0, 1))].mean())
        for dy in range(-3, 4)
        for dx in range(-3, 4)
    ]
    return {
        "on": float(lc[strokes].mean()),
        "best": min(shifts),
        "ring": float(lc[ring].mean()),
        "dark10": float((lc[strokes] < np.percentile(lc, 10)).mean()),
        "p2": float(np.percentile(lc, 2)),
        "stroke_px": int(strokes.sum()),
        "strokes": len(offsets),
        "far3": float((offsets >= 3).mean()) if len(offsets) else 0.0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=REALDATA / "twip-8um")
    ap.add_argument("--split", type=int, default=150, help="last frame of the early group (150)")
    args = ap.parse_args()
    labels = sorted((args.root / "ds").glob("*.PNG"))
    if not labels:
        print(f"skipped: no labelled frames under {args.root}")
        return 0
    rows, previous = [], None
    for path in labels:
        images = sorted((args.root / "original").glob(path.stem + ".*"))
        image = cv2.imread(str(images[0]), cv2.IMREAD_GRAYSCALE) if images else None
        if image is None:
            print(f"{path.stem}: no readable frame, left out", file=sys.stderr)
            continue
        label = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        strokes = label < 128
        row = {"frame": int(path.stem.rsplit("_", 1)[-1]), **frame_row(image, strokes, label)}
        row["same_as_previous"] = previous is not None and np.array_equal(previous, strokes)
        previous = strokes
        rows.append(row)
        print(
            f"frame {row['frame']:3d}: on {row['on']:+.3f} (best shift {row['best']:+.3f}), "
            f"ring {row['ring']:+.3f}, dark10 {row['dark10']:.3f}, p2 {row['p2']:+.3f}, "
            f"{row['stroke_px']} stroke px, far3 {row['far3']:.2f} of {row['strokes']} strokes"
            + (", strokes as before" if row["same_as_previous"] else "")
        )
    print(
        "\ngroup | frames | on | best shift | ring | dark10 | p2 "
        "| strokes equal to the previous frame's | strokes | far3 (best fit >= 3 px away)"
    )
    for name, keep in (
        (f"<= {args.split}", lambda r: r["frame"] <= args.split),
        (f"> {args.split}", lambda r: r["frame"] > args.split),
    ):
        group = [r for r in rows if keep(r)]
        if not group:
            continue
        mean = {k: np.mean([r[k] for r in group]) for k in ("on", "best", "ring", "dark10", "p2")}
        same = sum(r["same_as_previous"] for r in group)
        n = sum(r["strokes"] for r in group)
        far = sum(r["far3"] * r["strokes"] for r in group) / max(n, 1)
        print(
            f"{name} | {len(group)} | {mean['on']:+.3f} | {mean['best']:+.3f} | {mean['ring']:+.3f}"
            f" | {mean['dark10']:.3f} | {mean['p2']:+.3f} | {same} | {n} | {far:.3f}"
        )
    n = sum(r["strokes"] for r in rows)
    far = sum(r["far3"] * r["strokes"] for r in rows) / max(n, 1)
    print(
        f"all frames: {n} strokes, far3 {far:.3f}: "
        f"strict recall the labels allow about {1 - far:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
