"""Helpers shared by commands: argument types and options (input expansion: temdefects.io.paths)."""

from __future__ import annotations

import argparse


def int_at_least(minimum: int):
    """An argparse type: an integer >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}, got {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
        return value

    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def add_size_argument(group, flag: str = "--size", *, help: str | None = None) -> None:
    """``FLAG HEIGHT WIDTH``: an image size as two integers >= 1."""
    group.add_argument(flag, type=positive_int, nargs=2, metavar=("HEIGHT", "WIDTH"), help=help)


def unit_float(text: str) -> float:
    """An argparse type: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {value}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


#: dislocations.analysis.pipeline.DEFAULT_FLATTEN, kept here so parsers need not import the
#: analysis stack (tests/cli/test_evaluate_cli.py checks that they agree).
FLATTEN_DEFAULT = 30.0


def check_flatten_option(value: float | None) -> float | None:
    """``--flatten``'s value (None: not given), or a TemdefectsError naming the option."""
    from temdefects.dislocations.analysis.pipeline import check_flatten
    from temdefects.errors import TemdefectsError

    if value is None:
        return None
    try:
        return check_flatten(value)
    except ValueError as exc:
        raise TemdefectsError(f"--{exc}") from None


def add_flatten_argument(
    group, *, scope: str = "", contrast: str | None = None, from_record: str = ""
) -> None:
    """``--flatten SIGMA`` and ``--contrast`` of the commands that run the dislocation model.

    ``contrast`` is the default of ``--contrast``; None means the model's record
    decides (``"global"`` without one). A ``from_record`` phrase (``"the model's
    record"``) makes the default of ``--flatten`` None: that record decides, 30 px
    without one.
    """
    default = f"{FLATTEN_DEFAULT:g}"
    if from_record:
        default = f"as {from_record} says, else {default}"
    group.add_argument(
        "--flatten",
        type=float,
        default=None if from_record else FLATTEN_DEFAULT,
        metavar="SIGMA",
        help="subtract the frame's Gaussian blur of this std in px before inference"
        f"{scope} (uneven illumination; default {default}; 0: the frame as it is)",
    )
    where = (
        f"default {contrast}" if contrast else "default: as the model's record says, else global"
    )
    group.add_argument(
        "--contrast",
        choices=("global", "local"),
        default=contrast,
        help="local: also divide the flattened frame by its local RMS, so that lines in dark "
        f"and bright areas reach the network at the same contrast ({where})",
    )


def add_precision_argument(group) -> None:
    """``--precision auto|bf16|fp32`` of the CPU training commands."""
    group.add_argument(
        "--precision",
        choices=("auto", "bf16", "fp32"),
        default="auto",
        help="arithmetic of CPU training: bf16 autocast is about 1.9x faster on CPUs with "
        "native bfloat16 (AVX512-BF16, AMX); auto uses it where the CPU has it (default)",
    )


def cpu_bf16(precision: str) -> bool:
    """Whether ``--precision`` asks for bfloat16 autocast on this CPU."""
    if precision != "auto":
        return precision == "bf16"
    from temdefects.train.loop import cpu_bf16_supported

    return cpu_bf16_supported()


def _from_record(read, record: dict, given):
    from temdefects.errors import TemdefectsError

    try:
        return read(record, given)
    except ValueError as exc:
        raise TemdefectsError(f"model record, input.{exc}") from None


def record_contrast(record: dict, given: str | None) -> str:
    """``--contrast`` if given, else the model record's; a bad record value is one
    TemdefectsError line naming the record
    (:func:`dislocations.analysis.pipeline.model_contrast`)."""
    from temdefects.dislocations.analysis.pipeline import model_contrast

    return _from_record(model_contrast, record, given)


def record_flatten(record: dict, given: float | None) -> float:
    """``--flatten`` if given, else the model record's
    (:func:`dislocations.analysis.pipeline.model_flatten`)."""
    from temdefects.dislocations.analysis.pipeline import model_flatten

    if given is not None:  # a bad value names the option, not the record
        return float(check_flatten_option(given))
    return _from_record(model_flatten, record, None)


def record_scale(record: dict, given: float | None) -> float:
    """``--scale`` if given, else the model record's
    (:func:`dislocations.analysis.pipeline.model_scale`)."""
    from temdefects.dislocations.analysis.pipeline import model_scale

    return _from_record(model_scale, record, given)


def print_error(args, message: str) -> None:
    """One ``<command as typed>: error: <message>`` line on stderr, for per-item errors."""
    error_line(getattr(args, "prog", "temdefects"), message)


def error_line(prog: str, message: str) -> None:
    """Print ``<prog>: error: <message>`` on stderr (argparse's form)."""
    import sys

    print(f"{prog}: error: {message}", file=sys.stderr)


def expand_reporting(items, prog: str) -> tuple[list, list[dict]]:
    """Files of every input item; an item that gives none is reported, not fatal.

    Returns the files (duplicates dropped) and one ``{"input", "status":
    "failed", "error"}`` entry per bad item, each also printed to stderr as
    ``<prog>: error: <message>``, so batch commands finish the good items.
    """
    from temdefects.errors import InputFileError
    from temdefects.io.frames import expand_inputs

    files: list = []
    failed = []
    for item in items:
        try:
            files.extend(p for p in expand_inputs([item]) if p not in files)
        except InputFileError as exc:
            failed.append({"input": str(item), "status": "failed", "error": str(exc)})
            error_line(prog, str(exc))
    return files, failed


def start_batch(args, command: str) -> tuple:
    """``(out, files, report)`` of a batch command over ``args.inputs`` into ``args.output``.

    The output folder is checked (:func:`temdefects.io.atomic.check_output_folder`
    with ``args.overwrite``) but not created; the inputs are expanded by
    :func:`expand_reporting`, each bad one reported on stderr after ``command``.
    """
    from pathlib import Path

    from temdefects.io.atomic import check_output_folder

    out = Path(args.output)
    check_output_folder(out, args.overwrite)
    files, report = expand_reporting(args.inputs, command)
    return out, files, report


def write_run_summary(out, summary: dict, start: float) -> None:
    """Write ``out/summary.json``: ``summary`` and, last, the run's ``seconds`` since ``start``.

    ``start`` is a :func:`time.perf_counter` reading taken when the run began.
    """
    import time

    from temdefects.io.atomic import atomic_write_json

    summary = {**summary, "seconds": round(time.perf_counter() - start, 2)}
    atomic_write_json(out / "summary.json", summary)


def unique_name(name: str, taken: set) -> str:
    """``name``, else ``name_2``, ``name_3`` ..., the first not in ``taken`` (then added to it).

    Examples
    --------
    >>> taken = {"a"}
    >>> unique_name("a", taken), unique_name("a", taken), sorted(taken)
    ('a_2', 'a_3', ['a', 'a_2', 'a_3'])
    """
    new, k = name, 2
    while new in taken:
        new, k = f"{name}_{k}", k + 1
    taken.add(new)
    return new


def command_parser(sub, name: str, *, help: str, description: str | None = None, epilog=None):
    """A subcommand's parser: ``description`` defaults to ``help``; an epilog keeps its layout."""
    import argparse

    return sub.add_parser(
        name,
        help=help,
        description=description or help,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_inputs_and_output(p, *, inputs: str, output: str = "OUT") -> None:
    """The positional ``INPUT...`` (files, folders, patterns) and the required ``-o``."""
    p.add_argument("inputs", nargs="+", metavar="INPUT", help=inputs)
    p.add_argument("-o", "--output", required=True, metavar=output, help="output folder")


def add_overwrite_resume(group, *, overwrite: str, resume: str) -> None:
    """``--overwrite`` and ``--resume`` of a command whose output folder a run may refill.

    Parameters
    ----------
    group
        Parser or argument group that receives both flags, in that order.
    overwrite, resume
        Help texts of the two flags.
    """
    group.add_argument("--overwrite", action="store_true", help=overwrite)
    group.add_argument("--resume", action="store_true", help=resume)


def finish_parser(
    p,
    run,
    *,
    overwrite: str | None = "allow a non-empty output folder",
    quiet: str | None = "no progress bar",
) -> None:
    """The closing flags every command shares (``--overwrite``, ``-q``) and its ``run``.

    A help text of None leaves that flag out.
    """
    if overwrite:
        p.add_argument("--overwrite", action="store_true", help=overwrite)
    if quiet:
        p.add_argument("-q", "--quiet", action="store_true", help=quiet)
    p.set_defaults(run=run)


def lazy_run(module: str, name: str):
    """A command body ``module.name(args)``, imported only when the command runs
    (so that building the parser, and ``--help``, stay free of heavy imports)."""

    def run(args) -> int:
        import importlib

        return getattr(importlib.import_module(module), name)(args)

    run.__qualname__ = f"lazy_run({module}.{name})"
    return run
