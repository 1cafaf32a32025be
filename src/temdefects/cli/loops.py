"""``temdefects loops``: dislocation loops and black dots (Shen et al. 2021)."""

from __future__ import annotations

from temdefects.cli.synth_group import add_synth_parser, run_synth

HELP = "dislocation loops and black dots: synthetic data"


def add_parser(sub) -> None:
    p = sub.add_parser("loops", help=HELP, description=HELP)
    group = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_synth_parser(
        group, family="loop and black-dot", presets_hint="default, loop111-steel"
    ).set_defaults(run=_synth)


def _synth(args) -> int:
    from temdefects.synth import loops

    return run_synth(
        args,
        load=loops.load_loop_config,
        list_presets=loops.list_loop_presets,
        dump=loops.dump_loop_config,
        generate=loops.generate_loop_dataset,
        read_sample=loops.read_loop_sample,
        preview=loops.loop_preview,
    )
