"""Bodies of ``temdefects loops train | detect | evaluate`` (parsers: ``cli/loops.py``)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from temdefects.cli.common import start_batch, unique_name, write_run_summary
from temdefects.errors import InputFileError
from temdefects.io.atomic import (
    atomic_write_bytes,
    atomic_write_json,
    remove_if_empty,
)
from temdefects.loops.evaluate import evaluate_loops
from temdefects.loops.groundtruth import (
    IMAGE_SUFFIXES,
    detect_truth_format,
    image_shapes,
    read_truth,
)
from temdefects.loops.report import write_evaluation
from temdefects.loops.table import read_detections_folder

__all__ = [
    "IMAGE_SUFFIXES",
    "image_shapes",
    "parse_class_map",
    "run_detect",
    "run_evaluate",
    "run_train",
]


def parse_class_map(items: list[str] | None) -> dict[str, str]:
    """``["OLD=NEW", ...]`` -> ``{OLD: NEW}``.

    Raises
    ------
    InputFileError
        For an item without exactly one ``=`` or with an empty side.
    """
    out = {}
    for item in items or []:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip() or "=" in new:
            raise InputFileError(f"--class-map: expected OLD=NEW, got {item!r}")
        out[old.strip()] = new.strip()
    return out


def _warn(message: str) -> None:
    print(f"temdefects loops: warning: {message}", file=sys.stderr)


def _names(stems: tuple[str, ...], limit: int = 5) -> str:
    more = f" ... (+{len(stems) - limit})" if len(stems) > limit else ""
    return ", ".join(stems[:limit]) + more


def run_evaluate(args) -> int:
    """Read predictions and truth, evaluate, write the tables; returns the exit status."""
    class_map = parse_class_map(args.class_map)
    pred = read_detections_folder(args.pred)
    truth_path = Path(args.truth)
    if not truth_path.exists():
        raise InputFileError(f"{truth_path}: no such file or folder")
    fmt = detect_truth_format(truth_path) if args.format == "auto" else args.format
    shapes: dict[str, tuple[int, int]] = {}
    if args.images:
        shapes = image_shapes(args.images)
    elif args.image_size:
        size = (int(args.image_size[0]), int(args.image_size[1]))
        stems = set(pred)
        if truth_path.is_dir():
            stems |= {p.stem for p in truth_path.iterdir() if p.suffix.lower() in (".txt", ".csv")}
        shapes = dict.fromkeys(sorted(stems), size)
    truth = read_truth(
        truth_path,
        format=fmt,
        shapes=shapes,
        cls=args.truth_class,
        class_map=class_map,
    )
    shapes = {**shapes, **truth.shapes}
    evaluation = evaluate_loops(
        pred,
        truth.defects,
        threshold=args.iou,
        min_score=args.score,
        shapes=shapes,
        pixel_size=args.pixel_size,
    )
    if evaluation.pred_only:
        _warn(
            f"{len(evaluation.pred_only)} image(s) with predictions but no truth, "
            f"not evaluated: {_names(evaluation.pred_only)}"
        )
    if evaluation.truth_only:
        _warn(
            f"{len(evaluation.truth_only)} image(s) with truth but no predictions, "
            f"not evaluated: {_names(evaluation.truth_only)}"
        )
    if not evaluation.images:
        raise InputFileError(
            f"no image has both predictions ({args.pred}) and truth ({truth_path}); "
            "files are matched by stem"
        )
    if any(s not in shapes for s in evaluation.images):
        _warn("image sizes unknown: densities left empty (give --images or --image-size)")
    write_evaluation(args.output, evaluation)
    d = evaluation.detection
    print(
        f"{len(evaluation.images)} images ({fmt} truth), IoU >= {evaluation.threshold:g}: "
        f"{d.tp} matched, {d.fp} spurious, {d.fn} missed; precision {d.precision:.3f}, "
        f"recall {d.recall:.3f}, F1 {d.f1:.3f}; class-aware F1 "
        f"{evaluation.detection_class_aware.f1:.3f}"
    )
    print(f"wrote {Path(args.output)}")
    return 0


PROG = "temdefects loops"


def _train_overrides(args) -> dict:
    data = {
        "synth": args.synth,
        "synth_val": args.synth_val,
        "images": args.images,
        "boxes": args.boxes,
        "truth_format": args.truth_format,
        "train_list": args.train_list,
        "test_list": args.test_list,
        "unlabelled": args.unlabelled,
        "crop": args.crop,
        "batch_size": args.batch_size,
    }
    optim = {"epochs": args.epochs, "steps_per_epoch": args.steps, "lr": args.lr}
    out = {
        "data": {k: v for k, v in data.items() if v is not None},
        "optim": {k: v for k, v in optim.items() if v is not None},
    }
    if args.channels is not None:
        out["detector"] = {"channels": args.channels}
    for key in ("seed", "device", "init"):
        if getattr(args, key) is not None:
            out[key] = getattr(args, key)
    return {k: v for k, v in out.items() if v != {}}


def run_train(args) -> int:
    """Train a detector from a config file and/or flags; returns the exit status."""
    from temdefects.loops.train_config import loop_train_config
    from temdefects.loops.training import train_loop_detector
    from temdefects.schema import deep_merge
    from temdefects.synth.config import read_config_file

    data = read_config_file(args.config) if args.config else {}
    config = loop_train_config(deep_merge(data, _train_overrides(args)))
    start = time.perf_counter()
    metrics = train_loop_detector(
        config, args.output, overwrite=args.overwrite, progress=not args.quiet
    )
    val = ", ".join(f"{k} F1 {v['f1']:.3f}" for k, v in metrics["validation"].items())
    print(
        f"trained in {time.perf_counter() - start:.0f} s: best epoch {metrics['best_epoch']} "
        f"(validation at IoU 0.4: {val}; score threshold {metrics['score_threshold']:g}); "
        f"model in {args.output}"
    )
    return 0


def run_detect(args) -> int:
    """Detect, fit, write tables, overlays, COCO and summary; returns the exit status."""
    import cv2
    from tqdm import tqdm

    from temdefects.io.frames import MIN_SIDE, iter_frames
    from temdefects.loops.evaluate import class_statistics
    from temdefects.loops.outputs import coco_detections, loop_overlay
    from temdefects.loops.table import write_detections, write_summary_csv

    out, files, report = start_batch(args, f"{PROG} detect")  # before the model loads
    if not files:
        return 1  # each bad input has had its line; nothing read, nothing written
    from temdefects.loops.detect import detect_defects  # torch: only once there is work
    from temdefects.loops.model import load_loop_model

    model = load_loop_model(args.model)
    out.mkdir(parents=True, exist_ok=True)
    found, shapes, sizes, coco = {}, {}, set(), []
    names = {"summary"}  # summary.csv and summary.json are the run's own files
    start = time.perf_counter()
    for path in tqdm(files, desc="detect", unit="file", disable=args.quiet, file=sys.stderr):
        entry = {"input": str(path), "status": "ok", "images": []}
        try:
            for frame in iter_frames(path, pixel_size=args.pixel_size, min_side=MIN_SIDE):
                factor = args.resize
                if isinstance(factor, int):
                    factor = 1.0 if factor == 0 else factor / max(frame.image.shape)
                defects, polarity = detect_defects(
                    model,
                    frame.image,
                    min_score=args.score,
                    polarity=args.polarity,
                    factor=factor,
                )
                name = unique_name(frame.name, names)
                write_detections(out / f"{name}.csv", defects)
                ok, png = cv2.imencode(".png", loop_overlay(frame.image, defects))
                atomic_write_bytes(out / f"{name}_overlay.png", png.tobytes())
                found[name], shapes[name] = defects, frame.image.shape
                sizes.add(frame.pixel_size)
                coco.append((path.name, frame.image.shape, defects))
                entry["images"].append(
                    {
                        "name": name,
                        "frame": frame.index,
                        "shape": list(frame.image.shape),
                        "pixel_size_nm": frame.pixel_size,
                        "polarity": polarity,
                        "defects": len(defects),
                        "classes": dict(Counter(defects.classes)),
                    }
                )
        except (InputFileError, ValueError) as exc:
            message = str(exc) if str(exc).startswith(str(path)) else f"{path}: {exc}"
            entry.update(status="failed", error=message)
            print(f"{PROG} detect: error: {message}", file=sys.stderr)
        report.append(entry)
    if not found:  # every input failed, each with its line: nothing read, nothing written
        remove_if_empty(out)
        return 1
    pixel_size = next(iter(sizes)) if len(sizes) == 1 else None
    if len(sizes) > 1:
        _warn("images have different pixel sizes: summary in px (give --pixel-size)")
    rows = class_statistics(found, shapes=shapes, pixel_size=pixel_size, source="pred")
    write_summary_csv(out / "summary.csv", rows)
    atomic_write_json(out / "detections.json", coco_detections(coco), indent=None)
    failed = sum(e["status"] == "failed" for e in report)
    counts = Counter(c for d in found.values() for c in d.classes)
    summary = {
        "format": "temdefects.loops.detection/1",
        "model": str(model.path.resolve()) if model.path else None,
        "score_threshold": model.score_threshold if args.score is None else args.score,
        "pixel_size_nm": pixel_size,
        "inputs": report,
        "images": len(found),
        "defects": dict(counts),
        "failed": failed,
    }
    write_run_summary(out, summary, start)
    print(
        f"detected in {len(found)} images: {sum(counts.values())} defects ("
        + (", ".join(f"{n} {c}" for c, n in sorted(counts.items())) or "none")
        + f"); results in {out}"
        + (f"; {failed} inputs failed" if failed else "")
    )
    return 1 if failed else 0
