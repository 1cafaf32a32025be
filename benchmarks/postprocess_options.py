"""Curve-level accuracy of post-processing settings on a generated test set.

Each image of a folder written by ``temdefects synth`` is predicted once with
a model; its probabilities then go through ``postprocess`` with every setting
below, and the curves are matched to the true centre lines (the ``.csv`` files)
with the rules of the real-data check: coverage (a true line is found when a
curve covers at least half of its points within 5 px, one-to-one, Hungarian on
coverage) and strict (issue 16: the larger of the two mean nearest-point
distances at most 3 px, one-to-one). Prints recall, precision, F1 of both and
post-processing time per image per setting, and its ratio to the default
``trace`` setting's time measured in the same run.

Run: ``python benchmarks/postprocess_options.py --data data/m2-test [--model DIR] [--images 60]``
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

from temdefects.dislocations.analysis.pipeline import DEFAULT_FLATTEN, model_input
from temdefects.dislocations.analysis.postprocess import (
    PAPER_OPTIONS,
    PostprocessOptions,
    postprocess,
)
from temdefects.metrics import match_by_coverage
from temdefects.metrics.curvematch import match_by_distance
from temdefects.models import load, predict

MASKS = {"method": "masks"}
SETTINGS = {
    "masks: paper (no joining, no dropping)": PAPER_OPTIONS,
    "masks: join 10 px": {**PAPER_OPTIONS, "join_gap": 10.0},
    "masks: drop covered 0.7": {**PAPER_OPTIONS, "drop_covered": 0.7},
    "masks: join 15 px + drop 0.7 + edge 3": MASKS,
    "masks: + min length 30 px": {**MASKS, "min_length": 30.0},
    "trace: no joining": {"join_gap": 0.0},
    "trace: join 20 px": {"join_gap": 20.0},
    "trace: join 30 px": {"join_gap": 30.0},
    "trace: no edge margin": {"edge_margin": 0.0},
    "trace: join 60 px, edge 3 (default)": {},
    "trace: + min length 40 px": {"min_length": 40.0},
    "ridge: gap 6 px, turn 35 deg (default)": {"method": "ridge"},
    "ridge: turn 60 deg": {"method": "ridge", "join_angle": 60.0},
}
#: The setting the time ratios are taken against.
BASELINE = "trace: join 60 px, edge 3 (default)"


def true_lines(path: Path) -> list[np.ndarray]:
    lines = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            lines[int(row["dislocation"])].append((float(row["x"]), float(row["y"])))
    return [np.array(v) for v in lines.values() if len(v) >= 5]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="folder written by temdefects synth")
    ap.add_argument("--model", default=None, help="model folder (default: shipped)")
    ap.add_argument("--images", type=int, default=60)
    args = ap.parse_args()
    images = sorted(Path(args.data).glob("*.png"))[: args.images]
    if not images:
        print(f"error: no images in {args.data}", file=sys.stderr)
        return 1
    model = load(args.model)
    # labels, curves, matched (coverage), seconds, matched (strict)
    totals = {name: np.zeros(5) for name in SETTINGS}
    for path in images:
        labels = true_lines(path.with_suffix(".csv"))
        _, image = model_input(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), DEFAULT_FLATTEN)
        probs, objectness = predict(model, image)
        for name, changes in SETTINGS.items():
            t0 = time.perf_counter()
            found = postprocess(probs, objectness=objectness, options=PostprocessOptions(**changes))
            seconds = time.perf_counter() - t0
            curves = [d.points for d in found]
            match = match_by_coverage(labels, curves)
            strict = match_by_distance(labels, curves)
            totals[name] += (len(labels), len(found), len(match.pairs), seconds, strict.matched)
    print(f"{len(images)} images of {args.data}, model {args.model or 'shipped default'}")
    base_seconds = max(totals[BASELINE][3], 1e-12)
    for name, (n_true, n_curves, matched, seconds, strict) in totals.items():
        recall, precision = matched / max(n_true, 1), matched / max(n_curves, 1)
        f1 = 2 * recall * precision / max(recall + precision, 1e-12)
        s_f1 = 2 * strict / max(n_true + n_curves, 1)
        print(
            f"{name:40s} curves {int(n_curves):5d} / true {int(n_true)}: recall {recall:.3f}, "
            f"precision {precision:.3f}, F1 {f1:.3f} | strict recall "
            f"{strict / max(n_true, 1):.3f}, precision {strict / max(n_curves, 1):.3f}, "
            f"F1 {s_f1:.3f} | {seconds / len(images) * 1e3:.0f} ms/image, "
            f"{seconds / base_seconds:.2f}x the default trace"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
