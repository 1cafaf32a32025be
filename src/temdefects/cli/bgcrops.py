"""``temdefects bgcrops``: cut background crops from real micrographs."""

from __future__ import annotations

from pathlib import Path

from temdefects.cli.common import (
    add_inputs_and_output,
    command_parser,
    finish_parser,
    non_negative_int,
    positive_int,
    print_error,
)

HELP = "cut defect-free background crops out of real images (for --background real)"

EPILOG = """examples:
  temdefects bgcrops frames/ -o crops/ --size 256 --per-image 8 --avoid-lines
  temdefects bgcrops frames/ -o crops/ --exclude labels/ --exclude-dark --margin 10
"""


def add_parser(sub) -> None:
    p = command_parser(sub, "bgcrops", help=HELP, epilog=EPILOG)
    add_inputs_and_output(p, inputs="images, folders or glob patterns", output="DIR")
    p.add_argument("--size", type=positive_int, default=256, help="crop side in px (default 256)")
    p.add_argument("--per-image", type=positive_int, default=8, help="crops per image (default 8)")
    p.add_argument(
        "--exclude", metavar="DIR", help="folder of exclusion masks with the images' file stems"
    )
    p.add_argument(
        "--exclude-dark",
        action="store_true",
        help="masks are dark strokes on white (default: non-zero pixels are excluded)",
    )
    p.add_argument(
        "--margin",
        type=non_negative_int,
        default=8,
        help="px added around excluded pixels (default 8)",
    )
    p.add_argument(
        "--avoid-lines",
        action="store_true",
        help="also exclude line-like structures found by a ridge filter",
    )
    p.add_argument(
        "--max-overlap",
        type=float,
        default=0.25,
        help="largest overlapping fraction between crops (default 0.25)",
    )
    p.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default 0)")
    finish_parser(p, run_command, quiet=None)


def run_command(args) -> int:
    import numpy as np

    from temdefects.errors import InputFileError, TemdefectsError
    from temdefects.io.images import RASTER_SUFFIXES
    from temdefects.synth.bgcrops import (
        dilate,
        exclusion_for,
        find_crops,
        line_mask,
        read_raw,
        write_crop_index,
        write_crops,
    )

    if not 0.0 <= args.max_overlap <= 1.0:
        raise TemdefectsError(f"--max-overlap: must be in [0, 1], got {args.max_overlap}")
    images = _expand(args.inputs, RASTER_SUFFIXES)
    mask_dir = Path(args.exclude) if args.exclude else None
    if mask_dir is not None and not mask_dir.is_dir():
        raise InputFileError(f"{mask_dir}: exclusion mask folder not found")
    out = Path(args.output)
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        raise TemdefectsError(f"{out}: output folder is not empty (use --overwrite)")
    out.mkdir(parents=True, exist_ok=True)

    rng = np.random.default_rng(args.seed)
    index, failed = [], {}
    for path in images:
        try:
            raw = read_raw(path)
            exclude = exclusion_for(
                path, mask_dir, dark=args.exclude_dark, margin=args.margin, shape=raw.shape
            )
            if args.avoid_lines:
                lines = dilate(line_mask(raw), args.margin)
                exclude = lines if exclude is None else exclude | lines
            crops = find_crops(
                raw.shape,
                size=args.size,
                count=args.per_image,
                rng=rng,
                exclude=exclude,
                max_overlap=args.max_overlap,
            )
            index.extend(write_crops(out, path, raw, crops))
        except InputFileError as exc:
            failed[str(path)] = str(exc)
    for message in failed.values():
        print_error(args, str(message))
    if len(failed) == len(images):  # nothing read: nothing written
        if not any(out.iterdir()):
            out.rmdir()
        return 1
    write_crop_index(out, {"seed": args.seed, "size": args.size, "crops": index})
    print(f"wrote {len(index)} crops from {len(images) - len(failed)} images to {out}")
    return 1 if failed else 0


def _expand(items, suffixes):
    from temdefects.io.paths import expand_paths as expand_inputs

    return expand_inputs(items, suffixes, what="image")
