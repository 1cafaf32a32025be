"""Generating a folder of synthetic particle images: parallel, never clobbering.

The generator of image ``i`` derives from ``(seed, i)`` alone
(:func:`temdefects.synth.scene.image_rng`), so the files do not depend on the
number of workers. ``dataset.json`` records the configuration and seed.
"""

from __future__ import annotations

import os
import re
import sys
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from temdefects import __version__
from temdefects.errors import InputFileError, TemdefectsError
from temdefects.io import jsonfile as strict_json
from temdefects.io.atomic import atomic_write_text
from temdefects.parallel import executor
from temdefects.synth.dataset import digits_for, single_threaded
from temdefects.synth.particles.config import CLASSES, ParticleSynthConfig
from temdefects.synth.particles.files import (
    generate_particle_image,
    make_particle_record,
    write_particle_sample,
)
from temdefects.synth.particles.loading import particle_config_from_dict

MANIFEST = "dataset.json"
MANIFEST_FORMAT = "temdefects.synth.particles.dataset/1"
_OWN_FILE = re.compile(r"^(\d{6,}\.(png|npz|json)|\..*\.tmp|dataset\.json|preview\.png)$")


@dataclass(frozen=True)
class ParticleRunReport:
    """What a generation run wrote: image indices, number of particles, particles per class."""

    folder: Path
    written: tuple
    particles: int
    classes: dict


def _prepare(folder: Path, overwrite: bool) -> None:
    """Create ``folder``, or delete this generator's files from it when ``overwrite``.

    Other files in the folder are left alone, as by :func:`temdefects.synth.dataset.prepare_folder`.
    """
    if folder.exists() and not folder.is_dir():
        raise InputFileError(f"{folder}: output path exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    entries = list(folder.iterdir())
    if not entries:
        return
    if not overwrite:
        raise TemdefectsError(
            f"{folder}: output folder is not empty (pass overwrite=True to replace its images)"
        )
    for entry in entries:
        if entry.is_file() and _OWN_FILE.match(entry.name):
            entry.unlink()


def _make_one(config_dict: dict, seed: int, index: int, folder: str, digits: int) -> dict:
    config = particle_config_from_dict(config_dict)
    with single_threaded():
        sample = generate_particle_image(config, seed, index)
    record = make_particle_record(sample, index=index, seed=seed, config=config_dict, digits=digits)
    write_particle_sample(folder, sample, record)
    return record["classes"]


def generate_particle_dataset(
    folder: str | os.PathLike,
    config: ParticleSynthConfig,
    *,
    count: int,
    seed: int,
    workers: int = 1,
    overwrite: bool = False,
    progress: bool = False,
    scheduler: str | None = None,
) -> ParticleRunReport:
    """Generate ``count`` particle images (PNG, label NPZ, record JSON) into ``folder``.

    Parameters
    ----------
    folder
        Output folder; created if missing. A non-empty folder is refused unless
        ``overwrite``, which deletes only files this generator writes.
    config
        Generator configuration (stored in every record and in ``dataset.json``).
    count
        Number of images.
    seed
        Run seed; image ``i`` depends on ``(seed, i)`` only.
    workers
        Processes; the files are identical for any value.
    scheduler
        Dask scheduler (``tcp://HOST:PORT`` or ``local:N``) whose workers make
        the images (:mod:`temdefects.parallel`); they must see ``folder``.
    overwrite
        Replace the images of a previous run.
    progress
        Show a progress bar on stderr.

    Returns
    -------
    ParticleRunReport

    Raises
    ------
    TemdefectsError
        Invalid ``count``/``workers`` or a folder that may not be written.
    """
    if not isinstance(count, int) or count < 1:
        raise TemdefectsError(f"count: must be an integer >= 1, got {count!r}")
    if not isinstance(workers, int) or workers < 1:
        raise TemdefectsError(f"workers: must be an integer >= 1, got {workers!r}")
    folder = Path(folder)
    config_dict = config.to_dict()
    _prepare(folder, overwrite)
    manifest = {
        "format": MANIFEST_FORMAT,
        "temdefects_version": __version__,
        "seed": int(seed),
        "count": int(count),
        "config": config_dict,
    }
    atomic_write_text(folder / MANIFEST, strict_json.dumps(manifest, indent=1) + "\n")
    digits = digits_for(count)
    totals = dict.fromkeys(CLASSES, 0)
    args = (config_dict, int(seed))
    bar = tqdm(total=count, desc="particles", unit="img", disable=not progress, file=sys.stderr)
    try:
        if scheduler is None and (workers == 1 or count == 1):
            results = []
            for i in range(count):
                results.append(_make_one(*args, i, str(folder), digits))
                bar.update()
        else:
            with executor(workers, scheduler) as pool:
                where = str(folder.resolve())
                futures = [pool.submit(_make_one, *args, i, where, digits) for i in range(count)]
                results = []
                for fut in as_completed(futures):
                    results.append(fut.result())
                    bar.update()
    finally:
        bar.close()
    for counts in results:
        for c in CLASSES:
            totals[c] += counts[c]
    return ParticleRunReport(
        folder=folder,
        written=tuple(range(count)),
        particles=sum(totals.values()),
        classes=totals,
    )


__all__ = ["MANIFEST", "ParticleRunReport", "generate_particle_dataset"]
