"""Bodies of ``temdefects particles train | analyze | evaluate`` (parsers: ``cli/particles.py``)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from temdefects.cli.common import start_batch, unique_name, write_run_summary
from temdefects.errors import InputFileError, TemdefectsError
from temdefects.io.atomic import atomic_write_json, atomic_write_text, remove_if_empty
from temdefects.io.atomic import check_output_folder as _check_output

PROG = "temdefects particles"


def train_overrides(args) -> dict:
    """The configuration values given as flags (``None`` flags are left out)."""
    sections = {
        "data": {
            "folder": args.data,
            "test_folder": args.test,
            "test_fraction": args.test_fraction,
            "crop": args.crop,
            "batch_size": args.batch_size,
            "workers": args.workers,
        },
        "optim": {"epochs": args.epochs, "max_steps": args.max_steps, "lr": args.lr},
        "model": {"arch": args.arch, "encoder": args.encoder, "decoder_base": args.decoder_base},
    }
    out = {k: {n: v for n, v in d.items() if v is not None} for k, d in sections.items()}
    out = {k: d for k, d in out.items() if d}
    for key in ("seed", "device"):
        if getattr(args, key) is not None:
            out[key] = getattr(args, key)
    return out


def run_train(args) -> int:
    from temdefects.particles.config import particle_train_config
    from temdefects.particles.training import train_particle_model
    from temdefects.schema import deep_merge
    from temdefects.synth.config import read_config_file

    data = read_config_file(args.config) if args.config else {}
    config = particle_train_config(deep_merge(data, train_overrides(args)))
    if not config.data.folder:
        raise TemdefectsError("--data: a generated particle folder is required")
    start = time.perf_counter()
    if args.resume and args.overwrite:
        raise TemdefectsError("--resume and --overwrite exclude each other")
    metrics = train_particle_model(
        config,
        args.output,
        overwrite=args.overwrite,
        resume=args.resume,
        progress=not args.quiet,
    )
    seg, clf = metrics["segmentation"], metrics["classification"]
    chosen = clf["selected"]
    accuracy = clf[chosen].get("test_accuracy")
    print(
        f"trained in {time.perf_counter() - start:.0f} s: test Dice {seg['test_dice']:.3f}, "
        f"classifier {chosen} test accuracy "
        + (f"{accuracy:.3f}" if accuracy is not None else "n/a")
        + f"; model in {args.output}"
    )
    return 0


def run_finetune(args) -> int:
    import math

    from temdefects.cli.common import cpu_bf16
    from temdefects.particles.config import particle_train_config
    from temdefects.particles.finetune import finetune_particle_model, read_user_pairs
    from temdefects.particles.pairs import ArrayPairs
    from temdefects.particles.pipeline import load_particle_model

    if (args.val_images is None) != (args.val_masks is None):
        raise TemdefectsError("--val-images and --val-masks go together")
    if args.crop % 32:
        raise TemdefectsError(f"--crop: must be a multiple of 32, got {args.crop}")
    _check_output(Path(args.output), args.overwrite)
    user = read_user_pairs(args.images, args.masks, value=args.value)
    if args.val_images is not None:
        train = user.pairs
        test = read_user_pairs(args.val_images, args.val_masks, value=args.value).pairs
    else:
        n = len(user.pairs)
        n_test = max(1, math.ceil(args.test_fraction * n))
        if n - n_test < 1:
            raise TemdefectsError(
                f"{args.images}: {n} pairs cannot hold a training and a held-out share "
                "(label more images or give --val-images/--val-masks)"
            )
        p = user.pairs
        train = ArrayPairs(p.images[:-n_test], p.labels[:-n_test])
        test = ArrayPairs(p.images[-n_test:], p.labels[-n_test:])
    base = load_particle_model(args.model)
    config = particle_train_config(
        {
            "name": f"finetune-{Path(args.output).name}",
            "seed": args.seed,
            "device": args.device,
            "data": {"crop": args.crop, "batch_size": args.batch_size},
            "optim": {"epochs": args.epochs, "lr": args.lr, "cpu_bf16": cpu_bf16(args.precision)},
        }
    )
    start = time.perf_counter()
    record = {
        "images": str(Path(args.images).resolve()),
        "masks": str(Path(args.masks).resolve()),
        "value": args.value,
        "paired_by": user.paired_by,
    }
    metrics = finetune_particle_model(
        base,
        train,
        test,
        config,
        args.output,
        scratch=args.scratch,
        pixel_size=args.pixel_size,
        record=record,
        overwrite=args.overwrite,
        progress=not args.quiet,
        refit=args.refit,
        log=lambda line: None if args.quiet else print(line, file=sys.stderr),
    )
    seg = metrics["segmentation"]
    refit = metrics.get("refit")
    print(
        f"fine-tuned on {len(train)} images ({user.paired_by} pairing) in "
        f"{time.perf_counter() - start:.0f} s: held-out Dice {seg['test_dice']:.3f} "
        f"(epoch {seg['epoch']})"
        + (f", then refit on all {refit['images']} images" if refit else "")
        + f"; model in {args.output}"
    )
    return 0


def _instance_changes(args) -> dict:
    changes = {}
    if args.threshold is not None:
        changes["threshold"] = args.threshold
    if args.min_size is not None:
        changes["min_size"] = args.min_size
    if args.diameter is not None:
        changes["expected_diameter"] = args.diameter
    if args.exclude_border:
        changes["exclude_border"] = True
    return changes


def run_analyze(args) -> int:
    from dataclasses import asdict

    from tqdm import tqdm

    from temdefects.io.frames import MIN_SIDE, iter_frames

    out, files, report = start_batch(args, f"{PROG} analyze")  # before the model loads
    if not files:
        return 1  # each bad input has had its line; nothing read, nothing written
    from temdefects.particles.outputs import write_result  # torch: only once there is work
    from temdefects.particles.pipeline import (
        analyze_particles,
        load_particle_model,
        with_instances,
    )

    model = load_particle_model(args.model)
    model = with_instances(model, **_instance_changes(args))
    out.mkdir(parents=True, exist_ok=True)
    names: set[str] = set()
    images, particles, classes = 0, 0, Counter()
    start = time.perf_counter()
    for path in tqdm(files, desc="analyze", unit="file", disable=args.quiet, file=sys.stderr):
        entry = {"input": str(path), "status": "ok", "images": []}
        try:
            for frame in iter_frames(path, pixel_size=args.pixel_size, min_side=MIN_SIDE):
                result = analyze_particles(
                    model,
                    frame.image,
                    pixel_size=frame.pixel_size,
                    rescale=not args.no_rescale,
                    flips=args.flips,
                    pyramid=args.pyramid,
                )
                name = unique_name(frame.name, names)  # a.png and a.tif both give "a"
                counts = Counter(r["class"] for r in result.rows)
                entry["images"].append(
                    {
                        "name": name,
                        "frame": frame.index,
                        "shape": list(result.labels.shape),
                        "pixel_size_nm": frame.pixel_size,
                        "resample_factor": round(result.factor, 6),
                        "particles": len(result.rows),
                        "classes": dict(counts),
                        "files": write_result(out, name, result),
                    }
                )
                images, particles = images + 1, particles + len(result.rows)
                classes.update(counts)
        except InputFileError as exc:
            entry.update(status="failed", error=str(exc))
            print(f"{PROG} analyze: error: {exc}", file=sys.stderr)
        report.append(entry)
    if not images:  # every input failed, each with its line: nothing read, nothing written
        remove_if_empty(out)
        return 1
    failed = sum(e["status"] == "failed" for e in report)
    summary = {
        "format": "temdefects.particles.analysis/1",
        "model": str(model.path.resolve()) if model.path else None,
        "instances": asdict(model.instances),
        "pixel_size_override_nm": args.pixel_size,
        "rescale": not args.no_rescale,
        "flips": args.flips,
        "pyramid": args.pyramid,
        "inputs": report,
        "images": images,
        "particles": particles,
        "classes": dict(classes),
        "failed": failed,
    }
    write_run_summary(out, summary, start)
    print(
        f"analyzed {images} images: {particles} particles "
        f"({', '.join(f'{n} {c}' for c, n in sorted(classes.items())) or 'none'}); "
        f"results in {out}" + (f"; {failed} inputs failed" if failed else "")
    )
    return 1 if failed else 0


def _csv(rows: list[dict], columns) -> str:
    from temdefects.io.atomic import csv_text

    return csv_text(rows, columns, blank_none=True, lineterminator="\n")


def run_evaluate(args) -> int:
    from temdefects.particles.data import list_particle_samples
    from temdefects.particles.evaluate import PER_IMAGE_COLUMNS, evaluate_particle_model
    from temdefects.particles.pipeline import load_particle_model

    out = Path(args.output)
    _check_output(out, args.overwrite)
    names = list_particle_samples(args.data)[: args.limit]
    model = load_particle_model(args.model)
    rows, summary = evaluate_particle_model(
        model, args.data, names=names, min_iou=args.min_iou, progress=not args.quiet
    )
    summary = {
        "format": "temdefects.particles.evaluation/1",
        "model": str(model.path.resolve()) if model.path else None,
        "data": str(Path(args.data).resolve()),
        **summary,
    }
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "summary.json", summary)
    atomic_write_text(out / "per_image.csv", _csv(rows, PER_IMAGE_COLUMNS))
    cls = summary["classes"]
    matrix = [
        {"true": c, **dict(zip(cls, r, strict=True))}
        for c, r in zip(cls, summary["confusion"], strict=True)
    ]
    atomic_write_text(out / "confusion.csv", _csv(matrix, ["true", *cls]))
    acc = summary["accuracy"]
    print(
        f"{len(rows)} images: Dice {summary['dice_pooled']:.3f}, detection F1 "
        f"{summary['f1']:.3f}, class accuracy "
        + (f"{acc:.3f}" if acc is not None else "n/a")
        + f" ({summary['matched']} matched particles); results in {out}"
    )
    return 0


__all__ = ["run_analyze", "run_evaluate", "run_train", "train_overrides"]
