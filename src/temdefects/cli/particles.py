"""``temdefects particles``: nanoparticles in HRTEM (Groschner et al. 2021)."""

from __future__ import annotations

from temdefects.cli.synth_group import add_synth_parser, run_synth

HELP = "nanoparticles in high-resolution TEM: synthetic data"


def add_parser(sub) -> None:
    p = sub.add_parser("particles", help=HELP, description=HELP)
    group = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_synth_parser(group, family="nanoparticle", presets_hint="default").set_defaults(run=_synth)


def _synth(args) -> int:
    from temdefects.synth import particles

    return run_synth(
        args,
        load=particles.load_particle_config,
        list_presets=particles.list_particle_presets,
        dump=particles.dump_particle_config,
        generate=particles.generate_particle_dataset,
        read_sample=particles.read_particle_sample,
        preview=particles.particle_preview,
    )
