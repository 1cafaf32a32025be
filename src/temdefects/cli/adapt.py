"""``temdefects adapt``: a dislocation model for your experiment from a few labelled frames.

One command for what otherwise takes three (``labelme-to-masks``, a training
run, the choice of post-processing): the labels become training masks in
``OUT/labelled``, a network learns them, and the mask threshold, join gap and shortest curve
with the best strict instance F1 on the labelled frames are stored in the model
(``analyze`` and ``track`` use them).

The default recipe is the one that measured best on real in-situ frames
(``benchmarks/realdata_adapt.py``, docs/benchmarks.md): a plain U-Net
(ResNet-18 encoder, one output channel, random start) trained with Dice + BCE on
the union of the labelled lines, the loss taken only within ``--reach`` px of a
labelled line because hand labels mark only some dislocations. Starting from
the synthetic pre-training (``--init DIR``) measured worse on ``twip-8um``
and stays available.
"""

from __future__ import annotations

import math
from pathlib import Path

from temdefects.builtin_models import model_argument
from temdefects.cli.common import (
    add_flatten_argument,
    add_precision_argument,
    check_flatten_option,
    command_parser,
    cpu_bf16,
    finish_parser,
    print_error,
)
from temdefects.cli.labels import add_label_arguments, convert

HELP = "adapt a dislocation model to your experiment from a few labelled frames (one command)"

EPILOG = """examples:
  temdefects adapt ds/ --images original/ --dark-strokes -o my-model
  temdefects adapt annotations/*.json -o my-model --steps 800
  temdefects analyze new-frames/ --model my-model -o results/
Labels: labelme JSON (line strips, lines, polygons; one per dislocation) or stroke
images (one stroke per dislocation, matched to --images by file stem). About 10
frames is enough to start; the default 3000 steps take 30 min on 2 CPU cores
with bfloat16 (--precision auto), about twice that without.
"""

UNET = {"arch": "unet", "encoder": "resnet18", "n_masks": 1, "objectness": False}


def add_parser(sub) -> None:
    p = command_parser(sub, "adapt", help=HELP, epilog=EPILOG)
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="new model folder")
    g = p.add_argument_group("labels")
    add_label_arguments(g, metavar="LABELS", width=3.0, width_help="line width learnt, px")
    add_flatten_argument(g, contrast="global", from_record="the --init model's record")
    t = p.add_argument_group("training")
    t.add_argument("--steps", type=int, default=3000, help="optimiser steps (default 3000)")
    t.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    t.add_argument("--batch-size", type=int, default=4, help="crops per step (default 4)")
    t.add_argument("--crop", type=int, default=256, help="random crop side, px (default 256)")
    t.add_argument(
        "--reach",
        type=int,
        default=16,
        metavar="PX",
        help="only pixels within PX of a labelled line count in the loss (default 16; 0: "
        "every pixel, for frames with every dislocation labelled)",
    )
    t.add_argument(
        "--init",
        metavar="DIR|NAME",
        type=model_argument,
        help="start from this model folder's network and weights (or a built-in's: default, "
        "insitu) instead of a plain U-Net from a random start",
    )
    add_precision_argument(t)
    t.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    t.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    t.add_argument("--resume", action="store_true", help="continue an interrupted run")
    finish_parser(p, run_command, overwrite=None)


def adapt_config(args, folder: Path, n_frames: int) -> dict:
    """The training configuration of the adaptation (plain dict)."""
    from temdefects.models import read_config

    steps_per_epoch = math.ceil(n_frames / args.batch_size)
    epochs = max(1, math.ceil(args.steps / steps_per_epoch))
    if args.init:
        base = read_config(args.init)
        model = base["model"]
        old = base.get("training", {}).get("train_config", {}).get("loss", {})
        loss = {**old, "kind": "union", "reach": args.reach, "empty_weight": 0.0}
        init = str(Path(args.init).resolve())
    else:
        model, loss, init = dict(UNET), {"kind": "union", "reach": args.reach}, None
    return {
        "name": f"adapt-{Path(args.output).name}",
        "seed": args.seed,
        "device": args.device,
        "init": init,
        "model": model,
        "data": {
            "source": "folder",
            "folder": str(folder.resolve()),
            "train_images": n_frames,
            "test_folder": str(folder.resolve()),
            "test_images": n_frames,
            "crop": args.crop,
            "batch_size": args.batch_size,
            "min_mask_pixels": 5,
        },
        "loss": loss,
        "optim": {
            "lr": args.lr,
            "epochs": epochs,
            "warmup": 0.05,
            "schedule": "cosine",
            "checkpoint_every": 50,
            "cpu_bf16": cpu_bf16(args.precision),
        },
        "eval": {"every": epochs},
    }


def _check(args) -> None:
    from temdefects.errors import TemdefectsError

    for name in ("steps", "batch_size", "crop"):
        if getattr(args, name) < 1:
            raise TemdefectsError(f"--{name.replace('_', '-')}: must be >= 1")
    if args.reach < 0:
        raise TemdefectsError(f"--reach: must be >= 0, got {args.reach}")
    if not (args.lr > 0 and math.isfinite(args.lr)):
        raise TemdefectsError(f"--lr: must be a finite number > 0, got {args.lr}")
    if args.init and not Path(args.init).is_dir():
        raise TemdefectsError(f"--init: {args.init}: no such model folder")
    check_flatten_option(args.flatten)


def _resolve_flatten(args) -> None:
    """``--flatten`` if given, else the ``--init`` model's record (a model pre-trained on
    generated frames saw them unflattened), else the analysis default of 30 px."""
    from temdefects.cli.common import record_flatten
    from temdefects.models import read_config

    args.flatten = record_flatten(read_config(args.init) if args.init else {}, args.flatten)


def run_command(args) -> int:
    from temdefects.dislocations.analysis.choose import describe_choice, store_postprocess
    from temdefects.errors import TemdefectsError
    from temdefects.models.folder import update_config
    from temdefects.synth.files import list_samples
    from temdefects.train import train, train_config_from_dict

    _check(args)
    _resolve_flatten(args)
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise TemdefectsError(f"{out}: output path is a file, not a folder")
    if out.exists() and any(out.iterdir()) and not args.resume:
        raise TemdefectsError(f"{out}: output folder is not empty (use --resume to continue)")
    folder = out / "labelled"
    converted = folder.is_dir() and bool(list_samples(folder))
    if not (args.resume and converted):
        report = convert(args, folder)
        for message in report.failed.values():
            print_error(args, str(message))
        if not report.written:
            raise TemdefectsError("no labelled frame could be read")
        if report.dislocations == 0:
            raise TemdefectsError("the labels mark no dislocation")
        print(
            f"{len(report.written)} labelled frames ({report.dislocations} dislocations) "
            f"-> {folder}"
        )
    n = len(list_samples(folder))
    config = train_config_from_dict(adapt_config(args, folder, n))
    resume = args.resume and (out / "checkpoints" / "last.pt").exists()
    train(config, out, resume=resume, progress=not args.quiet)
    update_config(
        out, input={"flatten": args.flatten, "contrast": args.contrast, "scale": args.scale}
    )
    chosen = store_postprocess(out, folder)
    line = f"adapted model -> {out} ({args.steps} steps on {n} frames)"
    if chosen is not None:
        line += (
            f"; post-processing chosen on the labelled frames: {describe_choice(chosen)} "
            f"(strict F1 {max(r['f1'] for r in chosen['grid']):.3f})"
        )
    print(line)
    return 0
