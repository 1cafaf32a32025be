"""``temdefects shapes``: build a dislocation shape library from labelme annotations."""

from __future__ import annotations

from temdefects.cli.common import print_error

HELP = "build a shape library for the generator from labelme line/polygon annotations"


def add_parser(sub) -> None:
    p = sub.add_parser("shapes", help=HELP, description=HELP)
    p.add_argument("inputs", nargs="+", metavar="LABELME", help="labelme JSON files or folders")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="library JSON to write")
    p.add_argument(
        "--label",
        action="append",
        metavar="NAME",
        help="keep only shapes with this label (repeatable; default: all)",
    )
    p.add_argument(
        "--min-length",
        type=float,
        default=10.0,
        help="skip annotations shorter than this chord length in px (default 10)",
    )
    p.set_defaults(run=run_command)


def run_command(args) -> int:

    from temdefects.errors import InputFileError, TemdefectsError
    from temdefects.io.paths import expand_paths as expand_inputs
    from temdefects.synth.dislocations.shapes import from_labelme, save_library

    files = expand_inputs(args.inputs, (".json",), what="labelme JSON")
    shapes, sources, failed = {}, {}, {}
    for path in files:
        try:
            found = from_labelme(
                path, labels=set(args.label) if args.label else None, min_length=args.min_length
            )
        except InputFileError as exc:
            failed[str(path)] = str(exc)
            continue
        shapes.update(found)
        sources.update({name: str(path) for name in found})
    if not shapes:
        for message in failed.values():
            print_error(args, str(message))
        raise TemdefectsError("no line, line-strip or polygon annotations found")
    path = save_library(args.output, shapes, sources=sources)
    print(f"wrote {len(shapes)} shapes from {len(files) - len(failed)} files to {path}")
    for message in failed.values():
        print_error(args, str(message))
    return 1 if failed else 0
