"""``temdefects loops``: dislocation loops and black dots (Shen et al. 2021).

``synth`` generates training data, ``train`` trains the Faster R-CNN
detector, ``detect`` finds, classifies and measures defects (Modules A and
B), ``evaluate`` scores detection tables against ground truth (assessments
2-4 of the paper). The bodies live in :mod:`temdefects.cli.loops_run`
(imported only when they run).
"""

from __future__ import annotations

import argparse

from temdefects.cli.common import (
    add_inputs_and_output,
    add_size_argument,
    command_parser,
    finish_parser,
    lazy_run,
    positive_float,
    unit_float,
)
from temdefects.cli.synth_group import add_synth_parser, family_synth

#: data.unlabelled choices (temdefects.loops.train_config.UNLABELLED, which imports torch:
#: the parser stays light; a test keeps the two equal)
UNLABELLED = ("negative", "ignore-dark", "label-dark")

HELP = "dislocation loops and black dots: synthetic data, training, detection, evaluation"

EVALUATE_EPILOG = """PRED holds one detection table <stem>.csv per image (columns class, x, y,
major, minor, angle, bx, by, width, height, score). TRUTH is matched by stem:
  boxes   folder of <stem>.txt, 'ymin xmin ymax xmax' per line (Li et al. 2018)
  coco    a COCO .json, or a folder with annotations.json (temdefects loops synth)
  yolo    folder of <stem>.txt polygons 'class x1 y1 ...' in [0, 1] (needs image sizes)
  imagej  folder of <stem>.csv ImageJ results (X, Y, Major, Minor, Angle, BX, BY,
          Width, Height [, class])
Writes into OUT: evaluation.json, pr_table.csv, per_image.csv, confusion.csv,
per_class.csv, summary.csv, sizes.csv, pr_iou.png (see docs/loops.md).
example:
  temdefects loops evaluate --pred detections --truth data/loops/annotations.json -o eval
"""


def add_parser(sub) -> None:
    p = sub.add_parser("loops", help=HELP, description=HELP)
    group = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_synth_parser(
        group,
        family="loop and black-dot",
        presets_hint="default, loop111-steel, irradiated-bf, bf-blobs, bf-shen, bf-blobs-shen",
    ).set_defaults(run=family_synth("loop"))
    _add_train(group)
    _add_detect(group)
    _add_evaluate(group)


def _iou(text: str) -> float:
    value = unit_float(text)
    if value == 0.0:
        raise argparse.ArgumentTypeError("expected an IoU in (0, 1], got 0")
    return value


TRAIN_EPILOG = """The configuration (YAML/JSON, see configs/loops-default.yaml and
docs/loops.md) may be given whole with --config; flags replace its values.
example:
  temdefects loops synth -o data/loops -n 1000 --workers 2
  temdefects loops synth -o data/loops-val -n 100 --seed 9
  temdefects loops train --synth data/loops --synth-val data/loops-val -o runs/loops
"""

DETECT_EPILOG = """Writes into OUT, per image: <stem>.csv (class, x, y, major, minor, angle,
bx, by, width, height, score; px and degrees), <stem>_overlay.png (a0/2<111>
loops red, a0<100> loops yellow, black dots blue); for the run:
detections.json (COCO), summary.csv (count, mean diameter, std, areal density
per class; nm when the pixel size is known) and summary.json.
example:
  temdefects loops detect image.tif more/ -o loops_out --pixel-size 0.5
"""


def _add_train(group) -> None:
    from temdefects.cli.common import int_at_least, positive_int

    p = command_parser(
        group,
        "train",
        help="train or fine-tune the loop detector (Faster R-CNN, nothing downloads)",
        description="Train a torchvision Faster R-CNN on generated loop images and/or real "
        "images with box files; validate after every epoch and keep the best.",
        epilog=TRAIN_EPILOG,
    )
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="model folder")
    p.add_argument("--config", metavar="FILE", help="training configuration (YAML/JSON)")
    p.add_argument("--synth", nargs="+", metavar="DIR", help="generated loop folders")
    p.add_argument("--synth-val", metavar="DIR", help="generated folder that validates")
    p.add_argument("--images", metavar="DIR", help="real images for --boxes")
    p.add_argument(
        "--boxes",
        metavar="PATH",
        help="labels of --images: box files <stem>.txt (ymin xmin "
        "ymax xmax), or COCO/YOLO/ImageJ with --truth-format",
    )
    p.add_argument("--truth-format", choices=("auto", "boxes", "coco", "yolo", "imagej"))
    p.add_argument("--train-list", metavar="FILE", help="real training image names")
    p.add_argument("--test-list", metavar="FILE", help="held-out real image names (never read)")
    p.add_argument(
        "--unlabelled",
        choices=UNLABELLED,
        help="what the unboxed parts of the real images teach: negative (background, the "
        "default), ignore-dark (compact dark blobs are neither defect nor background) or "
        "label-dark (solid blobs become dots and <100> loops by shape); for labels that "
        "box one class only",
    )
    p.add_argument(
        "--init", metavar="DIR", help="model folder whose ResNet encoder starts the trunk"
    )
    p.add_argument("--channels", choices=("raw-clahe-blur", "raw"), help="input channels")
    p.add_argument("--crop", type=positive_int, help="training crop side (px)")
    p.add_argument("--batch-size", type=positive_int)
    p.add_argument("--epochs", type=positive_int)
    p.add_argument("--steps", type=positive_int, help="steps per epoch")
    p.add_argument("--lr", type=positive_float)
    p.add_argument("--seed", type=int_at_least(0))
    p.add_argument("--device", help="cpu, cuda, cuda:0 ...")
    finish_parser(
        p,
        lazy_run("temdefects.cli.loops_run", "run_train"),
        overwrite="replace a non-empty model folder",
        quiet="no per-epoch lines",
    )


def _add_detect(group) -> None:
    p = command_parser(
        group,
        "detect",
        help="find, classify and measure loops and black dots",
        description="Detect a0/2<111> loops, a0<100> loops and black dots (Faster R-CNN, "
        "Module A), fit an ellipse to each by watershed (Module B), and report sizes and "
        "areal densities (Shen et al. 2021).",
        epilog=DETECT_EPILOG,
    )
    add_inputs_and_output(p, inputs="images, folders or glob patterns")
    p.add_argument("--model", metavar="DIR", help="model folder (default: the shipped model)")
    p.add_argument(
        "--score", type=unit_float, help="lowest score kept (default: the model's threshold)"
    )
    p.add_argument("--pixel-size", type=positive_float, metavar="NM", help="nm per px")
    p.add_argument(
        "--resize",
        type=_resize,
        metavar="PX",
        help="longer side the image is resampled to before detection: a size in px, 0 for "
        "native, or auto (chosen per image from a first coarse pass: images with small "
        "defects are magnified, up to native, and measured again, up to 3 passes); default "
        "the model's rule. Working images "
        "larger than the model's training size are detected in overlapping tiles",
    )
    p.add_argument(
        "--polarity",
        choices=("auto", "dark", "bright"),
        default="auto",
        help="defect contrast for the ellipse fit (default auto)",
    )
    finish_parser(
        p,
        lazy_run("temdefects.cli.loops_run", "run_detect"),
        overwrite="write into a non-empty folder",
    )


def _resize(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected auto, 0 or a size >= 64 px, got {text!r}"
        ) from None
    if value != 0 and value < 64:
        raise argparse.ArgumentTypeError(f"expected auto, 0 or a size >= 64 px, got {value}")
    return value


def _add_evaluate(group) -> None:
    p = command_parser(
        group,
        "evaluate",
        help="score detection tables against ground truth",
        description="Precision/recall/F1 over IoU and score thresholds, class confusion "
        "matrix, per-class scores, and diameters and areal densities of predictions against "
        "ground truth (Shen et al. 2021, assessments 2-4).",
        epilog=EVALUATE_EPILOG,
    )
    io = p.add_argument_group("inputs and outputs")
    io.add_argument("--pred", required=True, metavar="DIR", help="folder of detection tables")
    io.add_argument("--truth", required=True, metavar="PATH", help="ground truth folder or file")
    io.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder")
    io.add_argument(
        "--format",
        default="auto",
        choices=("auto", "boxes", "coco", "yolo", "imagej"),
        help="ground-truth format (default: auto)",
    )
    size = io.add_mutually_exclusive_group()
    size.add_argument("--images", metavar="DIR", help="images by stem, for their sizes")
    add_size_argument(size, "--image-size", help="size of every image (px)")
    opts = p.add_argument_group("evaluation")
    opts.add_argument("--iou", type=_iou, default=0.4, help="IoU of a match (default 0.4)")
    opts.add_argument(
        "--score", type=unit_float, default=0.0, help="minimum prediction score (default 0)"
    )
    opts.add_argument(
        "--pixel-size", type=positive_float, metavar="NM", help="nm per px (sizes in nm)"
    )
    opts.add_argument(
        "--truth-class",
        default="loop111",
        help="class of single-class truth (boxes, imagej without class; default loop111)",
    )
    opts.add_argument(
        "--class-map",
        action="append",
        metavar="OLD=NEW",
        help="rename a truth class, e.g. hcloop=loop111 (repeatable)",
    )
    p.set_defaults(run=lazy_run("temdefects.cli.loops_run", "run_evaluate"))
