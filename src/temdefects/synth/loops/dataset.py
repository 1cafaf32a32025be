"""Generating a folder of synthetic loop images, in parallel, never clobbering.

The generator of image ``i`` derives from ``(seed, i)`` only
(:func:`~temdefects.synth.scene.image_rng`), so the output does not depend on
the number of workers. Besides the per-image files
(:mod:`temdefects.synth.loops.files`) the folder receives ``annotations.json``
(COCO), ``labels.csv`` and ``dataset.json`` (format, version, seed, count,
configuration), all written atomically.
"""

from __future__ import annotations

import os
import re
import sys
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from temdefects import __version__
from temdefects.errors import InputFileError, TemdefectsError
from temdefects.io import jsonfile as strict_json
from temdefects.io.atomic import atomic_write_text
from temdefects.parallel import executor
from temdefects.synth.dataset import digits_for, single_threaded
from temdefects.synth.files import stem
from temdefects.synth.loops.config import CLASSES, LoopSynthConfig, loop_config_from_dict
from temdefects.synth.loops.files import (
    CSV_HEADER,
    coco_document,
    coco_entries,
    csv_rows,
    make_loop_record,
    write_loop_sample,
)
from temdefects.synth.loops.scene import generate_loop

MANIFEST = "dataset.json"
MANIFEST_FORMAT = "temdefects.synth.loops.dataset/1"
COCO_FILE = "annotations.json"
CSV_FILE = "labels.csv"
_OWN_FILE = re.compile(
    r"^(\d{6,}\.(png|npz|json)|\..*\.tmp|dataset\.json|annotations\.json|labels\.csv)$"
)


@dataclass
class LoopRunReport:
    """What a generation run did: written and failed images, defects per class."""

    folder: Path
    written: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)
    defects: dict = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))


def _prepare(folder: Path, overwrite: bool) -> None:
    """Create ``folder``, or empty it of this generator's files when ``overwrite``."""
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


def _make_one(config_dict: dict, seed: int, index: int, folder: str, digits: int) -> tuple:
    config = loop_config_from_dict(config_dict)
    sample = generate_loop(config, seed, index)
    record = make_loop_record(sample, index=index, seed=seed, config=config_dict, digits=digits)
    write_loop_sample(folder, sample, record)
    name = stem(index, digits)
    return index, name, sample.image.shape, coco_entries(sample), csv_rows(name, sample.labels)


def generate_loop_dataset(
    folder: str | os.PathLike,
    config: LoopSynthConfig,
    *,
    count: int,
    seed: int,
    workers: int = 1,
    overwrite: bool = False,
    progress: bool = False,
    scheduler: str | None = None,
) -> LoopRunReport:
    """Generate ``count`` loop images and their label tables into ``folder``.

    Parameters
    ----------
    folder
        Output folder; created if missing. A non-empty folder is refused unless
        ``overwrite``, which deletes only files this generator writes.
    config
        Generator configuration (real backgrounds come from
        ``config.background.real.dir``).
    count, seed
        Number of images and the run's seed.
    workers
        Processes; the output is the same for any number.
    scheduler
        Dask scheduler (``tcp://HOST:PORT``, or ``local:N`` for a local
        cluster) whose workers make the images (:mod:`temdefects.parallel`);
        they must see ``folder``.
    overwrite
        Replace an earlier run's files.
    progress
        Show a progress bar on stderr.

    Returns
    -------
    LoopRunReport
        Failures of single images (for example an unreadable background) are
        collected in ``failed`` and do not stop the others.

    Raises
    ------
    TemdefectsError
        For a bad ``count`` or ``workers`` or a non-empty folder.
    """
    if count < 1:
        raise TemdefectsError(f"count: must be >= 1, got {count}")
    if workers < 1:
        raise TemdefectsError(f"workers: must be >= 1, got {workers}")
    folder = Path(folder)
    _prepare(folder, overwrite)
    config_dict = config.to_dict()
    manifest = {
        "format": MANIFEST_FORMAT,
        "temdefects_version": __version__,
        "seed": int(seed),
        "count": int(count),
        "config": config_dict,
    }
    atomic_write_text(folder / MANIFEST, strict_json.dumps(manifest, indent=1) + "\n")
    digits = digits_for(count)
    report = LoopRunReport(folder=folder)
    results = []
    bar = tqdm(total=count, desc="loops", unit="img", disable=not progress, file=sys.stderr)
    args = (config_dict, int(seed))
    try:
        if scheduler is None and (workers == 1 or count == 1):
            with single_threaded():
                for i in range(count):
                    _collect(
                        report, results, i, lambda i=i: _make_one(*args, i, str(folder), digits)
                    )
                    bar.update()
        else:
            with executor(workers, scheduler) as pool:
                where = str(folder.resolve())
                futures = {pool.submit(_make_one, *args, i, where, digits): i for i in range(count)}
                for fut in as_completed(futures):
                    _collect(report, results, futures[fut], fut.result)
                    bar.update()
    finally:
        bar.close()
    results.sort(key=lambda r: r[0])
    report.written.sort()
    coco = coco_document(
        [(i, f"{name}.png", shape, entries) for i, name, shape, entries, _ in results]
    )
    atomic_write_text(folder / COCO_FILE, strict_json.dumps(coco, separators=(",", ":")) + "\n")
    atomic_write_text(folder / CSV_FILE, CSV_HEADER + "".join(r[4] for r in results))
    for ann in coco["annotations"]:
        report.defects[CLASSES[ann["category_id"] - 1]] += 1
    return report


def _collect(report: LoopRunReport, results: list, index: int, call) -> None:
    try:
        result = call()
    except TemdefectsError as exc:
        report.failed[index] = str(exc)
    else:
        report.written.append(index)
        results.append(result)
