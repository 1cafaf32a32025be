"""``temdefects labelme-to-masks``: hand labels -> a training/evaluation folder."""

from __future__ import annotations

from pathlib import Path

from temdefects.cli.common import (
    add_flatten_argument,
    check_flatten_option,
    command_parser,
    finish_parser,
    print_error,
)


def add_label_arguments(p, *, metavar: str, width: float, width_help: str) -> None:
    """The labels (positional ``inputs``) and how they become training masks (``--snap``...)."""
    p.add_argument(
        "inputs",
        nargs="+",
        metavar=metavar,
        help="labelme JSON files, stroke label images, folders or patterns",
    )
    p.add_argument(
        "--images", metavar="DIR", help="micrographs for stroke label images (matched by file stem)"
    )
    p.add_argument(
        "--dark-strokes",
        action="store_true",
        help="stroke images are dark strokes on white (default: non-zero strokes)",
    )
    p.add_argument("--width", type=float, default=width, help=f"{width_help} (default {width:g})")
    p.add_argument(
        "--label",
        action="append",
        metavar="NAME",
        help="labelme: keep only shapes with this label (repeatable)",
    )
    p.add_argument(
        "--min-size",
        type=int,
        default=10,
        help="strokes: ignore specks smaller than this in px (default 10)",
    )
    add_snap_argument(p)
    p.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="resample frames and labels by this factor (e.g. 2 where lines lie a few px apart; "
        "a model adapted so runs analyze at the same scale; default 1)",
    )


def convert(args, out: Path):
    """``args``' labels into the training folder ``out`` (a :class:`ConversionReport`)."""
    from temdefects.errors import TemdefectsError
    from temdefects.train import labelled

    try:
        return labelled.convert_labels(
            args.inputs,
            out,
            images=args.images,
            width=args.width,
            dark=args.dark_strokes,
            min_size=args.min_size,
            labels=set(args.label) if args.label else None,
            flatten=args.flatten,
            contrast=args.contrast or "global",
            snap=args.snap,
            scale=args.scale,
        )
    except ValueError as exc:
        raise TemdefectsError(f"--{exc}") from None


def add_snap_argument(p, default: int = 0) -> None:
    p.add_argument(
        "--snap",
        type=int,
        default=default,
        metavar="PX",
        help="move each labelled line by at most PX onto the dark line it marks (hand strokes "
        f"land a few px off; default {default}: as drawn)",
    )


HELP = "convert labelme annotations or stroke label images into training masks"

EPILOG = """examples:
  temdefects labelme-to-masks annotations/*.json -o labelled/
  temdefects labelme-to-masks ds/ --images original/ --dark-strokes -o labelled/
The output has the layout of `temdefects synth` folders (NNNNNN.png, .npz, .csv,
.json), so `temdefects finetune` and `temdefects evaluate` read it directly.
"""


def add_parser(sub) -> None:
    p = command_parser(sub, "labelme-to-masks", help=HELP, epilog=EPILOG)
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    add_label_arguments(
        p, metavar="INPUT", width=5.0, width_help="mask width around each centre line, px"
    )
    add_flatten_argument(p, scope=" and write it so (as analyze feeds frames to the model)")
    finish_parser(p, run_command, quiet=None)


def run_command(args) -> int:
    from temdefects.errors import TemdefectsError

    check_flatten_option(args.flatten)
    out = Path(args.output)
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        raise TemdefectsError(f"{out}: output folder is not empty (use --overwrite)")
    report = convert(args, out)
    print(
        f"wrote {len(report.written)} labelled frames ({report.dislocations} dislocations) to {out}"
    )
    for message in report.failed.values():
        print_error(args, str(message))
    return 1 if report.failed else 0
