"""A dislocation model on real micrographs: recall against hand labels, overlays.

Data (outside the repository, see ../shared/realdata/README*):

* ``dislocations/twip-8um``: 59 in-situ frames of TWIP steel (Tanaka et al.,
  Comput. Mater. Sci. 2024) with hand-drawn strokes, one per dislocation, for
  part of the dislocations only.
* ``dislocations/sandfeld-samples``: 4 frames of pile-ups (Ruzaeva, Govind,
  Legros, Sandfeld, IEEE NANO 2023), no labels.

Matching rules (each labelled stroke becomes its skeleton path):

* strict (issue 16; ``temdefects.metrics.curvematch.match_by_distance``): a
  curve and a stroke pair up when the larger of the two mean nearest-point
  distances is at most ``--max-distance`` px (3), one-to-one (Hungarian).
  Also centre-line recall / precision: drawn points within 2 px of a curve,
  curve points within 2 px of a drawn line.
* coverage (the earlier, looser rule; ``match_by_coverage``): a stroke is
  found when a predicted curve covers at least half of its points within
  5 px (one-to-one Hungarian matching on coverage).

Recall = found strokes / strokes; precision = matched curves / curves, a lower
bound because the labels are partial. Totals are summed over frames.

Run: ``python benchmarks/realdata_dislocations.py --model DIR -o OUT
[--frames SPEC] [--tolerance 5] [--min-coverage 0.5] [--method trace|masks]``;
``--frames 10:`` skips the first ten frames (e.g. after fine-tuning on them),
``--frames ::6`` takes every sixth; ``--exclude-trained`` skips the frames a
model made by ``temdefects adapt`` learnt (its ``labelled/`` records);
``--flatten 0`` feeds the frames without background flattening. The
post-processing stored in the model (chosen on its own labelled frames by
``adapt`` / ``finetune``) is used, as ``analyze`` does, unless ``--no-choose``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from temdefects.builtin_models import model_argument
from temdefects.dislocations.analysis import AnalysisOptions, PostprocessOptions, analyze_image
from temdefects.dislocations.analysis.choose import CHOSEN_KEYS, model_postprocess
from temdefects.dislocations.analysis.outputs import overlay
from temdefects.dislocations.analysis.pipeline import (
    DEFAULT_FLATTEN,
    model_contrast,
    model_flatten,
    model_scale,
)
from temdefects.dislocations.analysis.postprocess import METHODS
from temdefects.geometry import longest_path, skeletonize_mask
from temdefects.io.frames import iter_frames
from temdefects.io.labels import strokes_to_masks
from temdefects.metrics import match_by_coverage
from temdefects.metrics.curvematch import centreline_scores, match_by_distance
from temdefects.models import load, read_config
from temdefects.models.folder import default_model_path

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "dislocations"


def stroke_paths(label_path: Path) -> list:
    return label_paths(cv2.imread(str(label_path), cv2.IMREAD_GRAYSCALE))


def label_paths(label: np.ndarray) -> list:
    """One ordered skeleton path per hand stroke of a stroke image (dark strokes)."""
    paths = []
    for mask in strokes_to_masks(label, dark=True, min_size=10):
        path = longest_path(skeletonize_mask(mask))
        if len(path) >= 5:
            paths.append(path.astype(np.float64))
    return paths


def frame_slice(spec: str | None, n: int) -> list:
    if not spec:
        return list(range(n))
    parts = [int(p) if p else None for p in spec.split(":")]
    return list(range(n))[slice(*parts)]


def trained_frames(model: str | None) -> set:
    """Lower-case file names of the frames a model folder was adapted on."""
    if model is None:
        return set()
    names = set()
    for record in (Path(model) / "labelled").glob("*.json"):
        image = json.loads(record.read_text()).get("labelled", {}).get("image")
        if image:
            names.add(Path(image).name.lower())
    return names


def _strokes(path: Path) -> np.ndarray:
    """The strokes of a label image, dilated by 1 px."""
    dark = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) < 128
    return cv2.dilate(dark.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def _iou(sa: np.ndarray, sb: np.ndarray) -> float:
    return float((sa & sb).sum() / max((sa | sb).sum(), 1))


def stroke_overlap(a: Path, b: Path) -> float:
    """IoU of two stroke label images after a 1 px dilation (1.0: the same strokes)."""
    return _iou(_strokes(a), _strokes(b))


def copied_labels(scored: list, trained: list) -> set:
    """Stems of the ``scored`` label images that copy a ``trained`` one (IoU >= 0.5).

    Many ``twip-8um`` label images are copies of each other: frames 0-130 share
    one set of strokes, frames 220-300 another (docs/benchmarks.md). A
    held-out frame whose strokes copy a training frame's does not measure
    generalisation to new dislocations.
    """
    known = [_strokes(b) for b in trained]  # each image read once
    return {a.stem for a in scored if any(_iou(_strokes(a), sb) >= 0.5 for sb in known)}


def phases(per_frame: list) -> dict:
    """Strict scores of the sequence's two looks: frames up to 150, and later; and of the
    frames whose strokes copy no training frame's (``copied`` False), where known.

    Up to about frame 150 the pile-up shows thin separate lines; later its lines
    sit in broad dark bands, with tangled lines beside them (docs/benchmarks.md).
    """

    def index(r: dict) -> int:
        return int(r["frame"].rsplit("_", 1)[-1])

    out = {}
    for name, keep in (
        ("frames <= 150", lambda r: index(r) <= 150),
        ("frames > 150", lambda r: index(r) > 150),
        ("strokes copy no training frame's", lambda r: r.get("copied") is False),
    ):
        rows = [r for r in per_frame if keep(r)]
        if rows:
            found = sum(r["strict_matched"] for r in rows)
            out[name] = {
                "frames": len(rows),
                "recall": found / max(sum(r["labels"] for r in rows), 1),
                "precision": found / max(sum(r["predictions"] for r in rows), 1),
            }
    return out


def draw_labels(image: np.ndarray, labels: list, found: set) -> np.ndarray:
    for i, path in enumerate(labels):
        colour = (0, 200, 0) if i in found else (0, 0, 255)
        cv2.polylines(
            image, [np.round(path * 16).astype(np.int32)], False, colour, 1, cv2.LINE_AA, shift=4
        )
    return image


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--model", type=model_argument, help="model folder or built-in name (default: default)"
    )
    ap.add_argument("-o", "--output", required=True, help="folder for overlays and results")
    ap.add_argument("--frames", help="python slice of the twip frames, e.g. 10: or ::6")
    ap.add_argument("--tolerance", type=float, default=5.0)
    ap.add_argument("--min-coverage", type=float, default=0.5)
    ap.add_argument("--max-distance", type=float, default=3.0, help="strict rule (px)")
    ap.add_argument("--max-overlays", type=int, default=6)
    ap.add_argument(
        "--method",
        choices=METHODS,
        default=None,
        help="post-processing method (default: the model's stored one, else trace, as "
        "temdefects analyze)",
    )
    ap.add_argument(
        "--flatten",
        type=float,
        default=None,
        help="background flattening in px, as temdefects analyze (default: the model "
        f"record's, else {DEFAULT_FLATTEN:g}; 0: off)",
    )
    ap.add_argument(
        "--contrast",
        choices=("global", "local"),
        help="input contrast, as analyze --contrast (default: the model record's, else global)",
    )
    ap.add_argument(
        "--scale",
        type=float,
        default=None,
        help="resampling before inference, as analyze --scale (default: the model record's)",
    )
    ap.add_argument(
        "--exclude-trained",
        action="store_true",
        help="skip the frames the model was adapted on (named in its labelled/ records, "
        "as temdefects adapt writes them)",
    )
    ap.add_argument(
        "--flips",
        action="store_true",
        help="average over the four mirror images (one-mask models), as analyze --flips",
    )
    ap.add_argument(
        "--no-choose",
        action="store_true",
        help="ignore the post-processing stored in the model (as analyze does without it)",
    )
    args = ap.parse_args()
    if not REALDATA.is_dir():
        print(f"skipped: real data folder {REALDATA} is absent")
        return 0
    model = load(args.model)
    full_record = read_config(args.model or default_model_path())
    record = {} if args.no_choose else full_record
    options = AnalysisOptions(
        postprocess=PostprocessOptions(
            **model_postprocess(record, {**dict.fromkeys(CHOSEN_KEYS), "method": args.method})
        ),
        flatten=model_flatten(full_record, args.flatten),
        scale=model_scale(full_record, args.scale),
        flips=args.flips,
        contrast=model_contrast(full_record, args.contrast),
    )
    print(
        f"post-processing: {options.postprocess}; flips: {args.flips}; "
        f"flatten: {options.flatten:g}; contrast: {options.contrast}; scale: {options.scale:g}"
    )
    trained = trained_frames(args.model) if args.exclude_trained else set()
    out = Path(args.output)
    (out / "twip").mkdir(parents=True, exist_ok=True)
    (out / "sandfeld").mkdir(parents=True, exist_ok=True)

    twip = REALDATA / "twip-8um"
    originals = sorted((twip / "original").glob("*.png"))
    chosen = [
        i
        for i in frame_slice(args.frames, len(originals))
        if originals[i].name.lower() not in trained
    ]
    label_paths = {p.stem.lower(): p for p in (twip / "ds").iterdir()}
    trained_labels = [
        label_paths[Path(n).stem.lower()] for n in trained if Path(n).stem.lower() in label_paths
    ]
    scored = [
        label_paths[k] for k in (originals[i].stem.lower() for i in chosen) if k in label_paths
    ]
    copied = copied_labels(scored, trained_labels) if trained_labels else None
    totals = {"labels": 0, "predictions": 0, "matched": 0, "strict_matched": 0}
    points = np.zeros(4, np.int64)
    per_frame = []
    for k, idx in enumerate(chosen):
        path = originals[idx]
        label = label_paths.get(path.stem.lower())
        if label is None:
            continue
        frame = next(iter(iter_frames(path)))
        result = analyze_image(
            model, frame.image, options=options, name=path.stem, source=str(path)
        )
        labels = stroke_paths(label)
        preds = [d.points for d in result.dislocations]
        m = match_by_coverage(
            labels, preds, tolerance=args.tolerance, min_coverage=args.min_coverage
        )
        totals["labels"] += m.n_labels
        totals["predictions"] += m.n_predictions
        totals["matched"] += m.matched
        strict = match_by_distance(labels, preds, max_distance=args.max_distance)
        totals["strict_matched"] += strict.matched
        points += centreline_scores(labels, preds, tolerance=2.0)
        per_frame.append(
            {
                "frame": path.stem,
                "labels": m.n_labels,
                "predictions": m.n_predictions,
                "matched": m.matched,
                "strict_matched": strict.matched,
                **({"copied": label.stem in copied} if copied is not None else {}),
            }
        )
        if k < args.max_overlays:
            img = draw_labels(overlay(result), labels, {p[0] for p in m.pairs})
            cv2.imwrite(str(out / "twip" / f"{path.stem}.png"), img)
    recall = totals["matched"] / max(totals["labels"], 1)
    precision = totals["matched"] / max(totals["predictions"], 1)
    s_rec = totals["strict_matched"] / max(totals["labels"], 1)
    s_prec = totals["strict_matched"] / max(totals["predictions"], 1)
    s_f1 = 2 * totals["strict_matched"] / max(totals["labels"] + totals["predictions"], 1)
    cl_rec, cl_prec = points[0] / max(points[1], 1), points[2] / max(points[3], 1)
    summary = {
        "model": args.model or "default",
        "excluded_trained_frames": sorted(trained),
        "flips": args.flips,
        "postprocess": {
            "threshold": options.postprocess.threshold,
            "join_gap": options.postprocess.join_gap,
        },
        "method": options.postprocess.method,
        "frames": len(per_frame),
        **totals,
        "recall": recall,
        "precision_lower_bound": precision,
        "rule": {"tolerance_px": args.tolerance, "min_coverage": args.min_coverage},
        "strict": {
            "rule": f"larger mean nearest-point distance <= {args.max_distance} px, Hungarian",
            "recall": s_rec,
            "precision_lower_bound": s_prec,
            "f1": s_f1,
            "centreline_recall_2px": cl_rec,
            "centreline_precision_2px": cl_prec,
        },
        "per_frame": per_frame,
        "phases": phases(per_frame),
    }
    (out / "twip_summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(
        f"twip-8um, {len(per_frame)} frames: {totals['labels']} labelled dislocations, "
        f"{totals['predictions']} predicted, {totals['matched']} matched -> recall "
        f"{recall:.3f}, precision >= {precision:.3f} (tolerance {args.tolerance} px, "
        f"coverage >= {args.min_coverage})"
    )
    print(
        f"strict rule (mean distance <= {args.max_distance} px, both ways): "
        f"{totals['strict_matched']} matched -> recall {s_rec:.3f}, precision >= {s_prec:.3f}, "
        f"F1 {s_f1:.3f}; centre-line recall {cl_rec:.3f}, precision {cl_prec:.3f} (2 px)"
    )
    for name, part in phases(per_frame).items():
        print(
            f"  {name}: {part['frames']} frames, strict recall {part['recall']:.3f}, "
            f"precision >= {part['precision']:.3f}"
        )

    for path in sorted((REALDATA / "sandfeld-samples").glob("*.jpg")):
        frame = next(iter(iter_frames(path)))
        result = analyze_image(
            model, frame.image, options=options, name=path.stem, source=str(path)
        )
        cv2.imwrite(str(out / "sandfeld" / f"{path.stem}.png"), overlay(result))
        print(f"sandfeld {path.stem}: {len(result.dislocations)} dislocations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
