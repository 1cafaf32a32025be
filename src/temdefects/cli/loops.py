"""``temdefects loops``: dislocation loops and black dots (Shen et al. 2021).

``synth`` generates training data; ``evaluate`` scores detection tables
against ground truth (assessments 2-4 of the paper). The body of
``evaluate`` lives in :mod:`temdefects.loops.commands` (imported only when
it runs).
"""

from __future__ import annotations

import argparse

from temdefects.cli.common import positive_float, unit_float
from temdefects.cli.synth_group import add_synth_parser, run_synth

HELP = "dislocation loops and black dots: synthetic data, evaluation"

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
        group, family="loop and black-dot", presets_hint="default, loop111-steel"
    ).set_defaults(run=_synth)
    _add_evaluate(group)


def _iou(text: str) -> float:
    value = unit_float(text)
    if value == 0.0:
        raise argparse.ArgumentTypeError("expected an IoU in (0, 1], got 0")
    return value


def _add_evaluate(group) -> None:
    from temdefects.cli.common import positive_int

    p = group.add_parser(
        "evaluate",
        help="score detection tables against ground truth",
        description="Precision/recall/F1 over IoU and score thresholds, class confusion "
        "matrix, per-class scores, and diameters and areal densities of predictions against "
        "ground truth (Shen et al. 2021, assessments 2-4).",
        epilog=EVALUATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    size.add_argument(
        "--image-size",
        type=positive_int,
        nargs=2,
        metavar=("HEIGHT", "WIDTH"),
        help="size of every image (px)",
    )
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
    p.set_defaults(run=_evaluate)


def _synth(args) -> int:
    from temdefects.synth import loops

    return run_synth(
        args,
        load=loops.load_loop_config,
        list_presets=loops.list_loop_presets,
        dump=loops.dump_loop_config,
        generate=loops.generate_loop_dataset,
        read_sample=loops.read_loop_sample,
        preview=loops.loop_preview,
    )


def _evaluate(args) -> int:
    from temdefects.loops.commands import run_evaluate

    return run_evaluate(args)
