"""``temdefects synth``: synthetic dislocation images with exact ground truth."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from temdefects.cli.common import (
    add_overwrite_resume,
    add_size_argument,
    command_parser,
    positive_int,
    print_error,
)
from temdefects.cli.synth_group import add_run_arguments

HELP = "generate synthetic dislocation images, masks, centre lines and records"

EPILOG = """examples:
  temdefects synth -o data/m2 -n 1000 --preset m2 --seed 1 --workers 2 --preview
  temdefects synth -o data/m1r -n 500 --preset m1 --background real --backgrounds crops/
  temdefects synth --replay data/m2/000007.json -o replayed/
  temdefects synth --dump-config --preset m1 > my.yaml   (edit, then --config my.yaml)
"""


def add_parser(sub) -> None:
    p = command_parser(sub, "synth", help=HELP, epilog=EPILOG)
    out = p.add_argument_group("output")
    out.add_argument("-o", "--output", metavar="DIR", help="output folder")
    out.add_argument("-n", "--count", type=positive_int, metavar="COUNT", help="number of images")
    add_overwrite_resume(
        out,
        overwrite="replace this generator's files in a non-empty folder (others are kept)",
        resume="continue an interrupted run in its folder (same config and seed)",
    )
    out.add_argument(
        "--preview",
        action="store_true",
        help="also write preview.png: images with their masks in colour",
    )
    cfg = p.add_argument_group("configuration")
    cfg.add_argument(
        "--preset", default="m2", metavar="NAME", help="built-in preset: m1, m2 (default) or dense"
    )
    cfg.add_argument(
        "--config", metavar="FILE", help="YAML/JSON file whose values replace the preset's"
    )
    cfg.add_argument(
        "--background",
        choices=("perlin", "real"),
        help="background kind (default: from the configuration)",
    )
    cfg.add_argument("--backgrounds", metavar="DIR", help="folder of real background crops")
    add_size_argument(cfg, help="image size in px (default 512 512)")
    run = p.add_argument_group("run")
    add_run_arguments(run)
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    other = p.add_argument_group("other modes")
    other.add_argument("--replay", metavar="RECORD", help="re-render one image from its record")
    other.add_argument(
        "--dump-config",
        action="store_true",
        help="print the resolved configuration as YAML and exit",
    )
    other.add_argument("--list-presets", action="store_true", help="print the preset names")
    p.set_defaults(run=run_command)


def _overrides(args) -> dict:
    from temdefects.errors import TemdefectsError

    out: dict = {}
    if args.backgrounds and args.background == "perlin":
        raise TemdefectsError("--backgrounds: real crops contradict --background perlin")
    if args.background or args.backgrounds:  # a crops folder implies real backgrounds
        out.setdefault("background", {})["kind"] = args.background or "real"
    if args.backgrounds:
        out.setdefault("background", {}).setdefault("real", {})["dir"] = str(args.backgrounds)
    if args.size:
        out["size"] = list(args.size)
    return out


#: Configuration fields the command line sets, and the option that sets each.
_OPTION_OF = {"size": "--size", "background.kind": "--background"}


def _option_message(message: str, args) -> str:
    """``size[0]: ...`` -> ``--size: ...`` when the user gave that option."""
    given = {"size": args.size, "background.kind": args.background}
    for field, option in _OPTION_OF.items():
        if given[field] and (message.startswith(f"{field}:") or message.startswith(f"{field}[")):
            return f"{option}: {message.split(': ', 1)[1]}"
    return message


def _check_backgrounds(files: list) -> None:
    """At least one of ``files`` reads as a background image, else one error line."""
    from temdefects.errors import InputFileError
    from temdefects.synth.background import load_background

    for path in files:
        try:
            load_background(path)
            return
        except InputFileError:
            continue
    raise InputFileError(f"{files[0].parent}: no readable background image in this folder")


def _backgrounds(config) -> str | None:
    return config.background.real.dir if config.background.kind == "real" else None


def run_command(args) -> int:
    from temdefects.errors import TemdefectsError
    from temdefects.synth.config import dump_config, list_presets, load_config

    if args.list_presets:
        print("\n".join(list_presets()))
        return 0
    if args.replay:
        return _replay(args)
    try:
        config = load_config(args.preset, args.config, _overrides(args))
    except TemdefectsError as exc:
        raise TemdefectsError(_option_message(str(exc), args)) from None
    if args.dump_config:
        sys.stdout.write(dump_config(config))
        return 0
    from temdefects.cli.synth_group import run_options
    from temdefects.synth.background import list_backgrounds
    from temdefects.synth.dislocations.dataset import generate_dataset

    options = run_options(args)
    if config.background.kind == "real":  # a bad folder: one line, not one per image
        if not _backgrounds(config):
            raise TemdefectsError(
                "--backgrounds: real backgrounds need a folder of crops (--backgrounds DIR)"
            )
        _check_backgrounds(list_backgrounds(_backgrounds(config)))
    start = time.perf_counter()
    report = generate_dataset(args.output, config, backgrounds=_backgrounds(config), **options)
    elapsed = time.perf_counter() - start
    n = len(report.written)
    rate = n / elapsed if elapsed > 0 else float("inf")
    print(
        f"wrote {n} images ({report.dislocations} dislocations) to {report.folder} "
        f"in {elapsed:.1f} s ({rate:.1f} images/s)"
        + (f", {len(report.skipped)} already there" if report.skipped else "")
    )
    if args.preview and n + len(report.skipped):
        path = _write_preview(report.folder, sorted(report.written + report.skipped)[:8])
        print(f"preview: {path}")
    for index, message in sorted(report.failed.items()):
        print_error(args, f"image {index}: {message}")
    return 1 if report.failed else 0


def _write_preview(folder: Path, indices: list[int]) -> Path:
    from temdefects.io.images import write_png
    from temdefects.synth.dislocations.dataset import PREVIEW, digits_for
    from temdefects.synth.dislocations.files import read_sample
    from temdefects.synth.files import stem
    from temdefects.synth.preview import preview_grid

    digits = digits_for(max(indices) + 1)
    samples = [read_sample(folder, stem(i, digits)) for i in indices]
    return write_png(folder / PREVIEW, preview_grid(samples))


def _replay(args) -> int:
    from temdefects.errors import TemdefectsError
    from temdefects.synth.dislocations.files import make_record, read_record, write_sample
    from temdefects.synth.dislocations.scene import render_scene

    if not args.output:
        raise TemdefectsError("-o/--output: an output folder is required for --replay")
    record = read_record(args.replay)
    backgrounds = args.backgrounds or record.get("backgrounds")
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    name = Path(record["files"]["image"]).stem
    existing = [p for p in out.glob(f"{name}.*")]
    if existing and not args.overwrite:
        raise TemdefectsError(f"{out}: {name}.* exists already (use --overwrite to replace)")
    sample = render_scene(record["scene"], backgrounds=backgrounds)
    new = make_record(
        sample,
        index=record["index"],
        seed=record.get("seed"),
        config=record.get("config"),
        backgrounds=record.get("backgrounds"),
        digits=len(name),
    )
    path = write_sample(out, sample, new)
    print(f"replayed {args.replay} -> {path.parent / name}.* ({len(sample.masks)} dislocations)")
    if args.preview:
        from temdefects.io.images import write_png
        from temdefects.synth.preview import preview_grid

        print(f"preview: {write_png(out / 'preview.png', preview_grid([sample]))}")
    return 0
