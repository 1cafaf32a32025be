"""The argument parser. Kept free of heavy imports so ``--help`` is instant."""

from __future__ import annotations

import argparse

from temdefects import __version__
from temdefects.cli import (
    adapt,
    analyze,
    bgcrops,
    evaluate,
    finetune,
    fitgen,
    labels,
    loops,
    particles,
    shapes,
    synth,
    track,
    train,
)

COMMANDS = (
    synth,
    fitgen,
    bgcrops,
    shapes,
    train,
    evaluate,
    analyze,
    track,
    labels,
    finetune,
    adapt,
    loops,
    particles,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="temdefects", description="Crystal defects in TEM images and videos as numbers."
    )
    parser.add_argument("--version", action="version", version=f"temdefects {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(sub)
    return parser
