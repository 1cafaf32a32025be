"""Helpers shared by commands: input expansion and argument types."""

from __future__ import annotations

import argparse
import glob
from pathlib import Path

from temdefects.errors import InputFileError


def expand_inputs(
    items: list[str], suffixes: tuple[str, ...], *, what: str = "input"
) -> list[Path]:
    """Files from paths, folders (their matching files, sorted) and glob patterns.

    Raises
    ------
    InputFileError
        If an item matches nothing or nothing at all is found.
    """
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            files = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes
            )
            if not files:
                raise InputFileError(f"{path}: no {what} files ({', '.join(suffixes)}) in folder")
            found.extend(files)
        elif path.is_file():
            found.append(path)
        elif any(ch in item for ch in "*?["):
            files = sorted(Path(p) for p in glob.glob(item) if Path(p).is_file())
            if not files:
                raise InputFileError(f"{item}: pattern matches no file")
            found.extend(files)
        else:
            raise InputFileError(f"{path}: no such file or folder")
    if not found:
        raise InputFileError(f"no {what} files given")
    return found


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


#: analysis.pipeline.DEFAULT_FLATTEN, kept here so parsers need not import the
#: analysis stack (tests/cli/test_evaluate_cli.py checks that they agree).
FLATTEN_DEFAULT = 30.0


def add_flatten_argument(group, *, scope: str = "") -> None:
    """The ``--flatten SIGMA`` option of the commands that run the dislocation model."""
    group.add_argument(
        "--flatten",
        type=float,
        default=FLATTEN_DEFAULT,
        metavar="SIGMA",
        help="subtract the frame's Gaussian blur of this std in px before inference"
        f"{scope} (uneven illumination; default {FLATTEN_DEFAULT:g}; 0: the frame as it is)",
    )
