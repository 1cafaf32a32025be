"""Generating a folder of synthetic particle images: parallel, never clobbering.

The generator of image ``i`` derives from ``(seed, i)`` alone
(:func:`temdefects.synth.scene.image_rng`), so the files do not depend on the
number of workers. ``dataset.json`` records the configuration and seed.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing.Unpack is Python 3.11+; annotations are not evaluated
    from typing import Unpack

from temdefects.synth.files import stem
from temdefects.synth.particles.config import CLASSES, ParticleSynthConfig
from temdefects.synth.particles.files import (
    generate_particle_image,
    make_particle_record,
    write_particle_sample,
)
from temdefects.synth.particles.loading import particle_config_from_dict
from temdefects.synth.runner import (
    MANIFEST,
    Family,
    RunOptions,
    generate_folder,
    single_threaded,
)

MANIFEST_FORMAT = "temdefects.synth.particles.dataset/1"
FAMILY = Family(
    own_file=re.compile(r"^(\d{6,}\.(png|npz|json)|\..*\.tmp|dataset\.json|preview\.png)$"),
    desc="particles",
    manifest_format=MANIFEST_FORMAT,
)


@dataclass(frozen=True)
class ParticleRunReport:
    """What a generation run wrote: image indices, number of particles, particles per class.

    ``failed`` maps the index of an image that could not be made to the reason;
    ``skipped`` lists the complete images a resumed run found.
    """

    folder: Path
    written: tuple
    particles: int
    classes: dict
    failed: dict
    skipped: tuple = ()


def _make_one(config_dict: dict, seed: int, index: int, folder: str, digits: int) -> dict:
    config = particle_config_from_dict(config_dict)
    with single_threaded():
        sample = generate_particle_image(config, seed, index)
    record = make_particle_record(sample, index=index, seed=seed, config=config_dict, digits=digits)
    write_particle_sample(folder, sample, record)
    return record["classes"]


def generate_particle_dataset(
    folder: str | os.PathLike, config: ParticleSynthConfig, **options: Unpack[RunOptions]
) -> ParticleRunReport:
    """Generate ``count`` particle images (PNG, label NPZ, record JSON) into ``folder``.

    The options (:class:`~temdefects.synth.runner.RunOptions`) are those of
    :func:`temdefects.synth.runner.generate_folder`.
    A resumed run counts the complete images' particles from their records.
    """
    folder = Path(folder)
    done = generate_folder(folder, FAMILY, _make_one, config=config.to_dict(), **options)
    digits = done.digits
    for i in done.skipped:
        record = json.loads((folder / f"{stem(i, digits)}.json").read_text("utf-8"))
        done.results[i] = record["classes"]
    totals = dict.fromkeys(CLASSES, 0)
    for counts in done.results.values():
        for c in CLASSES:
            totals[c] += counts[c]
    return ParticleRunReport(
        folder=folder,
        written=tuple(done.written),
        particles=sum(totals.values()),
        classes=totals,
        failed=done.failed,
        skipped=tuple(done.skipped),
    )


__all__ = ["MANIFEST", "ParticleRunReport", "generate_particle_dataset"]
