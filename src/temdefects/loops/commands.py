"""Body of ``temdefects loops evaluate`` (the parser is :mod:`temdefects.cli.loops`)."""

from __future__ import annotations

import sys
from pathlib import Path

from temdefects.errors import InputFileError
from temdefects.loops.evaluate import evaluate_loops
from temdefects.loops.groundtruth import detect_truth_format, read_truth
from temdefects.loops.report import write_evaluation
from temdefects.loops.table import read_detections_folder

__all__ = ["IMAGE_SUFFIXES", "image_shapes", "parse_class_map", "run_evaluate"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def image_shapes(folder: str | Path) -> dict[str, tuple[int, int]]:
    """``(height, width)`` of every image in a folder, keyed by stem (headers only).

    Raises
    ------
    InputFileError
        When the folder is missing, holds no image or an image is unreadable.
    """
    from PIL import Image, UnidentifiedImageError

    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: no such folder")
    shapes = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
            try:
                with Image.open(p) as im:
                    width, height = im.size
            except (OSError, UnidentifiedImageError) as exc:
                raise InputFileError(f"{p}: cannot read the image size ({exc})") from None
            shapes[p.stem] = (int(height), int(width))
    if not shapes:
        raise InputFileError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)})")
    return shapes


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
