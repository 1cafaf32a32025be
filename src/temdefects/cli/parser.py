"""The argument parser. Kept free of heavy imports so ``--help`` is instant."""

from __future__ import annotations

import argparse

from temdefects import __version__
from temdefects.cli import (
    dislocations,
    loops,
    particles,
)

# The three families first; then the dislocation actions again at the top level,
# as aliases of ``temdefects dislocations ACTION`` that older scripts use.
COMMANDS = (dislocations, loops, particles, *dislocations.ACTIONS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="temdefects", description="Crystal defects in TEM images and videos as numbers."
    )
    parser.add_argument("--version", action="version", version=f"temdefects {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(sub)
    return parser
