"""The ``synth`` subcommand shared by the defect families (``loops``, ``particles``)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from temdefects.cli.common import (
    add_overwrite_resume,
    add_size_argument,
    non_negative_int,
    positive_int,
    print_error,
)


def add_synth_parser(sub, *, family: str, presets_hint: str) -> argparse.ArgumentParser:
    """``temdefects <family> synth -o DIR -n COUNT [--preset] [--config] ...``."""
    p = sub.add_parser(
        "synth",
        help=f"generate synthetic {family} images with exact labels",
        description=f"Generate synthetic {family} images with exact labels and replay records.",
    )
    p.add_argument("-o", "--output", metavar="DIR", help="output folder")
    p.add_argument("-n", "--count", type=positive_int, metavar="COUNT", help="number of images")
    p.add_argument("--preset", default="default", help=f"built-in preset ({presets_hint})")
    p.add_argument("--config", metavar="FILE", help="YAML/JSON values replacing the preset's")
    add_size_argument(p)
    add_run_arguments(p)
    add_overwrite_resume(
        p,
        overwrite="replace this generator's files in a non-empty folder",
        resume="continue an interrupted run in its folder (same configuration and seed)",
    )
    p.add_argument("--preview", action="store_true", help="also write preview.png")
    p.add_argument("--dump-config", action="store_true", help="print the configuration and exit")
    p.add_argument("--list-presets", action="store_true", help="print the preset names")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return p


def add_run_arguments(group) -> None:
    """``--seed``, ``--workers`` and ``--scheduler`` of every ``synth`` command."""
    group.add_argument("--seed", type=non_negative_int, default=0, help="run seed (default 0)")
    group.add_argument("--workers", type=positive_int, default=1, help="processes (default 1)")
    group.add_argument(
        "--scheduler",
        metavar="ADDR",
        help="Dask scheduler whose workers make the images: tcp://HOST:PORT, or local:N for a "
        "local cluster of N processes (docs/scale.md); workers must see the output folder",
    )


def family_synth(family: str):
    """The ``<family> synth`` body for ``temdefects.synth.<family>s`` (``loop``, ``particle``),
    whose functions follow one naming scheme (``load_loop_config`` ...)."""

    def run(args) -> int:
        import importlib

        m = importlib.import_module(f"temdefects.synth.{family}s")
        return run_synth(
            args,
            load=getattr(m, f"load_{family}_config"),
            list_presets=getattr(m, f"list_{family}_presets"),
            dump=getattr(m, f"dump_{family}_config"),
            generate=getattr(m, f"generate_{family}_dataset"),
            read_sample=getattr(m, f"read_{family}_sample"),
            preview=getattr(m, f"{family}_preview"),
        )

    return run


def run_options(args) -> dict:
    """The dataset runner's options from the flags every ``synth`` command shares.

    Raises
    ------
    TemdefectsError
        A missing output folder or count, or ``--overwrite`` with ``--resume``.
    """
    from temdefects.errors import TemdefectsError

    if not args.output:
        raise TemdefectsError("-o/--output: an output folder is required")
    if not args.count:
        raise TemdefectsError("-n/--count: the number of images is required")
    if args.overwrite and args.resume:
        raise TemdefectsError("--overwrite and --resume exclude each other")
    return {
        "count": args.count,
        "seed": args.seed,
        "workers": args.workers,
        "scheduler": args.scheduler,
        "overwrite": args.overwrite,
        "resume": args.resume,
        "progress": not args.quiet,
    }


def run_synth(args, *, load, list_presets, dump, generate, read_sample, preview) -> int:
    """Shared body of ``<family> synth`` (functions of the family passed in)."""
    from temdefects.io.images import write_png

    if args.list_presets:
        print("\n".join(list_presets()))
        return 0
    config = load(args.preset, args.config, {"size": list(args.size)} if args.size else None)
    if args.dump_config:
        sys.stdout.write(dump(config))
        return 0
    options = run_options(args)
    start = time.perf_counter()
    report = generate(args.output, config, **options)
    elapsed = time.perf_counter() - start
    written = sorted(report.written)
    skipped = f" ({len(report.skipped)} already there)" if report.skipped else ""
    print(f"wrote {len(written)} images to {Path(args.output)} in {elapsed:.1f} s{skipped}")
    shown = sorted([*written, *report.skipped])[:8]
    if args.preview and shown:
        samples = [read_sample(args.output, i) for i in shown]
        print(f"preview: {write_png(Path(args.output) / 'preview.png', preview(samples))}")
    failed = report.failed
    for index, message in sorted(failed.items()):
        print_error(args, f"image {index}: {message}")
    return 1 if failed else 0
