"""Loop detection on the real data in ``../shared/realdata/loops`` (skips when absent).

* ``li2018``: the held-out test split of Li et al. 2018 (``testimages.txt``,
  24 STEM images of a0/2<111> loops in FeCrAl, single-class boxes). The
  default model never saw these images (training used ``trainimages.txt``
  only, validation a share of it). Reported at IoU 0.4 as in Shen et al.
* ``creme``: bright-field TEM of 316L (COCO polygons, class ``hcloop``),
  and ``ti``: in-situ annealed Ti (YOLO polygons, one class); neither was
  used for training or any choice: a test of generalisation.

Detection runs with a minimum score of 0.001 so that the precision/recall/F1
grid can sweep score thresholds; the summary line uses the model's own
threshold (chosen on validation images). Class-agnostic matching, since
the real labels have one class. Tables, overlays and evaluation files go to
``OUT/<set>/``.

``OUT/fig4_real.png`` draws the paper's Figure 4 for every set: precision,
recall and F1 against the IoU cut-off at the model's score threshold.

Run: ``python benchmarks/realdata_loops.py -o OUT [--model DIR] [--sets li2018 creme ti]
[--resize PX|auto]`` (the Ti images are 2048 px with defects of ~22 px, 5 px
at a 512 px working size; ``auto`` chooses the scale per image, and working
images larger than the model's training size are detected in tiles).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from temdefects.io import read_grey
from temdefects.loops.defects import Defects
from temdefects.loops.detect import detect_defects
from temdefects.loops.evaluate import evaluate_loops
from temdefects.loops.groundtruth import image_shapes, read_truth
from temdefects.loops.model import load_loop_model
from temdefects.loops.outputs import loop_overlay
from temdefects.loops.report import write_evaluation
from temdefects.loops.table import write_detections
from temdefects.loops.train_data import read_name_list, stem_of
from temdefects.loops.unlabelled import image_candidates, outside_ignore

ROOT = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "loops"
SETS = ("li2018", "creme", "ti")
PAPER = "Shen et al. Table 2, a0/2<111> loops (their 12 test images): P 0.73, R 0.83, F1 0.78"


def _sets(root: Path) -> dict:
    li = root / "li2018-111loops"
    creme = root / "creme-316L"
    ti = root / "ti-anneal"
    return {
        "li2018": {
            "images": [li / "images" / n for n in read_name_list(li / "testimages.txt")]
            if li.is_dir()
            else [],
            "truth": lambda shapes: read_truth(li / "boxes", format="boxes").defects,
            # its boxes name a0/2<111> loops only; dots and <100> loops are unboxed
            "labelled_class": "loop111",
        },
        "creme": {
            "images": sorted((creme / "fov200nm" / "imgs").glob("*.png")) if creme.is_dir() else [],
            "truth": lambda shapes: (
                read_truth(
                    creme / "fov200nm" / "clean.json",
                    format="coco",
                    class_map={"hcloop": "loop111"},
                ).defects
            ),
        },
        "ti": {
            "images": sorted((ti / "images").glob("*.jpg")) if ti.is_dir() else [],
            "truth": lambda shapes: (
                read_truth(
                    ti / "labels",
                    format="yolo",
                    shapes={**image_shapes(ti / "images"), **shapes},
                    classes=("loop111",),
                ).defects
            ),
        },
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", required=True, help="output folder")
    ap.add_argument("--model", default=None, help="loop model folder (default: shipped)")
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--root", default=str(ROOT), help="real loop data folder")
    ap.add_argument("--only", metavar="FILE", help="evaluate only the images named in FILE")
    ap.add_argument(
        "--resize",
        default=None,
        help="longer side images are resampled to before detection (default: the model's "
        "rule; 0: native, tiled; auto: chosen per image from a coarse pass)",
    )
    args = ap.parse_args()
    root = Path(args.root)
    if not root.is_dir():
        print(f"skipped: {root} is absent")
        return 0
    torch.set_num_threads(args.threads)
    model = load_loop_model(args.model)
    size = (model.config.scale, model.config.input_size) if args.resize is None else args.resize
    print(f"model {model.path}, score threshold {model.score_threshold:g}, working size {size}")
    results, curves = {}, {}
    for name in args.sets:
        spec = _sets(root)[name]
        paths = [p for p in spec["images"] if p.is_file()]
        if args.only:
            keep = {stem_of(n) for n in read_name_list(args.only)}
            paths = [p for p in paths if stem_of(p.name) in keep]
        if not paths:
            print(f"{name}: no images, skipped")
            continue
        out = Path(args.output) / name
        out.mkdir(parents=True, exist_ok=True)
        pred, shapes, ignore = {}, {}, {}
        t0 = time.perf_counter()
        for path in paths:
            image = read_grey(path)
            factor = None
            if args.resize == "auto":
                factor = "auto"
            elif args.resize is not None:
                px = int(args.resize)
                factor = 1.0 if px == 0 else px / max(image.shape)
            defects, _ = detect_defects(model, image, min_score=0.001, factor=factor)
            stem = stem_of(path.name)
            pred[stem], shapes[stem] = defects, image.shape
            if spec.get("labelled_class"):
                ignore[stem] = image_candidates(image)
            write_detections(out / f"{stem}.csv", defects)
            keep = defects.select(defects.scores >= model.score_threshold)
            cv2.imwrite(str(out / f"{stem}_overlay.png"), loop_overlay(image, keep))
        seconds = (time.perf_counter() - t0) / len(paths)
        truth = spec["truth"](shapes)
        ev = evaluate_loops(
            pred, truth, threshold=0.4, min_score=model.score_threshold, shapes=shapes
        )
        curves[name] = sorted(
            (r["iou"], r["precision"], r["recall"], r["f1"])
            for r in ev.pr_table
            if abs(r["score"] - model.score_threshold) < 1e-9
        )
        write_evaluation(out / "evaluation", ev)
        grid = [r for r in ev.pr_table if abs(r["iou"] - 0.4) < 1e-9]
        best = max(grid, key=lambda r: r["f1"])
        d = ev.detection
        only = _labelled_class_only(pred, truth, shapes, spec.get("labelled_class"), model)
        partial = _unlabelled_blobs_ignored(pred, truth, shapes, ignore, model)
        results[name] = {
            "images": len(ev.images),
            "true": d.tp + d.fn,
            "at_model_threshold": {k: getattr(d, k) for k in ("precision", "recall", "f1")},
            "best_threshold": {k: best[k] for k in ("score", "precision", "recall", "f1")},
            "iou_curve": {
                f"{r['iou']:.1f}": round(r["f1"], 4)
                for r in ev.pr_table
                if abs(r["score"] - model.score_threshold) < 1e-9
            },
            "seconds_per_image": round(seconds, 3),
        }
        if only is not None:
            results[name]["labelled_class_only"] = only
        if partial is not None:
            results[name]["unlabelled_blobs_ignored"] = partial
        print(
            f"{name}: {len(ev.images)} images, {d.tp + d.fn} true defects; IoU 0.4 at score "
            f">= {model.score_threshold:g}: precision {d.precision:.3f}, recall {d.recall:.3f}, "
            f"F1 {d.f1:.3f} ({d.tp} matched, {d.fp} spurious, {d.fn} missed); best score "
            f"threshold {best['score']:g} (chosen on these labels, optimistic): P "
            f"{best['precision']:.3f} R {best['recall']:.3f} F1 {best['f1']:.3f}; "
            f"{seconds:.2f} s/image"
        )
        if only is not None:
            print(
                f"{name}, {only['class']} boxes only (the labels name no other class): "
                f"precision {only['precision']:.3f}, recall {only['recall']:.3f}, "
                f"F1 {only['f1']:.3f}"
            )
        if partial is not None:
            print(
                f"{name}, unmatched boxes on unlabelled dark blobs not counted (the training "
                f"validation rule, loops.unlabelled): precision {partial['precision']:.3f}, "
                f"recall {partial['recall']:.3f}, F1 {partial['f1']:.3f}"
            )
    print(f"paper: {PAPER}")
    if curves:
        _figure4(curves, Path(args.output) / "fig4_real.png", model.score_threshold)
    summary = Path(args.output) / "summary.json"
    doc = {"model": str(model.path), "working_size": size, "sets": results}
    summary.write_text(json.dumps(doc, indent=1) + "\n")
    return 0


def _labelled_class_only(pred, truth, shapes, cls, model) -> dict | None:
    """Scores of the predicted boxes of the one class the labels name (None: no such class).

    A set whose labels box one class only (Li et al.: a0/2<111> loops) leaves
    the other classes' defects unboxed, so a right box of another class
    counts as spurious in the class-agnostic score; this one leaves them out.
    """
    if cls is None:
        return None
    kept = {k: d.select(np.array([c == cls for c in d.classes], bool)) for k, d in pred.items()}
    return {"class": cls, **_scores(kept, truth, shapes, model)}


def _unlabelled_blobs_ignored(pred, truth, shapes, ignore, model) -> dict | None:
    """Class-agnostic scores without unmatched boxes on the image's unlabelled dark blobs.

    Partial labels (one class boxed) leave other defects unboxed; a box on a
    compact dark blob (:func:`temdefects.loops.unlabelled.image_candidates`)
    that matches no label may be one of them, so it is neither right nor wrong.
    """
    if not ignore:
        return None
    empty = Defects.empty()
    kept = {k: outside_ignore(d, truth.get(k, empty), ignore[k], iou=0.4) for k, d in pred.items()}
    return _scores(kept, truth, shapes, model)


def _scores(pred, truth, shapes, model) -> dict:
    """Precision, recall and F1 at IoU 0.4 and the model's score threshold."""
    ev = evaluate_loops(pred, truth, threshold=0.4, min_score=model.score_threshold, shapes=shapes)
    return {k: round(float(getattr(ev.detection, k)), 4) for k in ("precision", "recall", "f1")}


def _figure4(curves: dict, path: Path, score: float) -> None:
    """Precision, recall and F1 against the IoU cut-off, one panel per set."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.2 * len(curves), 3.0), layout="constrained")
    axes = fig.subplots(1, len(curves), squeeze=False)[0]
    for ax, (name, rows) in zip(axes, curves.items(), strict=True):
        iou = [r[0] for r in rows]
        for k, label in ((1, "precision"), (2, "recall"), (3, "F1")):
            ax.plot(iou, [r[k] for r in rows], marker="o", ms=3, label=label)
        ax.axvline(0.4, color="0.6", lw=0.8, ls=":")
        ax.set(title=name, xlabel="IoU cut-off", ylim=(0, 1), xlim=(0.1, 0.9))
    axes[0].set_ylabel(f"at score >= {score:.3g}")
    axes[0].legend(loc="lower left", fontsize=8)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    from script_errors import run

    run(main)
