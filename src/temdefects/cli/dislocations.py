"""``temdefects dislocations ACTION``: the dislocation commands, in the same form as
``temdefects loops ACTION`` and ``temdefects particles ACTION``.

The top-level forms (``temdefects analyze``, ``temdefects track`` ...) stay as
aliases, so that existing scripts keep running; both parse into the same
command body.
"""

from __future__ import annotations

from temdefects.cli import (
    adapt,
    analyze,
    bgcrops,
    evaluate,
    finetune,
    fitgen,
    labels,
    shapes,
    synth,
    track,
    train,
)

HELP = "dislocations: synthetic data, training, analysis, tracking, adaptation"

ACTIONS = (synth, fitgen, bgcrops, shapes, train, evaluate, analyze, track, labels, finetune, adapt)


def add_parser(sub) -> None:
    p = sub.add_parser("dislocations", help=HELP, description=HELP)
    group = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for module in ACTIONS:
        module.add_parser(group)
