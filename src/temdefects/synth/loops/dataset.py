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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing.Unpack is Python 3.11+; annotations are not evaluated
    from typing import Unpack

from temdefects.io import jsonfile as strict_json
from temdefects.io.atomic import atomic_write_text
from temdefects.synth.files import stem
from temdefects.synth.loops.config import CLASSES, LoopSynthConfig, loop_config_from_dict
from temdefects.synth.loops.files import (
    CSV_HEADER,
    coco_document,
    coco_entries,
    csv_rows,
    make_loop_record,
    read_loop_sample,
    write_loop_sample,
)
from temdefects.synth.loops.scene import generate_loop
from temdefects.synth.runner import Family, RunOptions, generate_folder

MANIFEST_FORMAT = "temdefects.synth.loops.dataset/1"
COCO_FILE = "annotations.json"
CSV_FILE = "labels.csv"
FAMILY = Family(
    own_file=re.compile(
        r"^(\d{6,}\.(png|npz|json)|\..*\.tmp|dataset\.json|annotations\.json|labels\.csv"
        r"|preview\.png)$"
    ),
    desc="loops",
    manifest_format=MANIFEST_FORMAT,
)


@dataclass
class LoopRunReport:
    """What a generation run did: written, skipped and failed images, defects per class."""

    folder: Path
    written: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)
    defects: dict = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    skipped: list = field(default_factory=list)


def _make_one(config_dict: dict, seed: int, index: int, folder: str, digits: int) -> tuple:
    config = loop_config_from_dict(config_dict)
    sample = generate_loop(config, seed, index)
    record = make_loop_record(sample, index=index, seed=seed, config=config_dict, digits=digits)
    write_loop_sample(folder, sample, record)
    return _tables(sample, stem(index, digits))


def _tables(sample, name: str) -> tuple:
    return sample.image.shape, coco_entries(sample), csv_rows(name, sample.labels)


def generate_loop_dataset(
    folder: str | os.PathLike, config: LoopSynthConfig, **options: Unpack[RunOptions]
) -> LoopRunReport:
    """Generate ``count`` loop images and their label tables into ``folder``.

    The options (:class:`~temdefects.synth.runner.RunOptions`) are those of
    :func:`temdefects.synth.runner.generate_folder`; real backgrounds come from
    ``config.background.real.dir``. A resumed run reads the complete images
    back for the tables. Failures of single images (for example an unreadable
    background) land in the report's ``failed`` and do not stop the others.
    """
    folder = Path(folder)
    done = generate_folder(folder, FAMILY, _make_one, config=config.to_dict(), **options)
    digits = done.digits
    for i in done.skipped:  # complete images of the interrupted run
        done.results[i] = _tables(read_loop_sample(folder, stem(i, digits)), stem(i, digits))
    order = sorted(done.results)
    coco = coco_document([(i, f"{stem(i, digits)}.png", *done.results[i][:2]) for i in order])
    atomic_write_text(folder / COCO_FILE, strict_json.dumps(coco, separators=(",", ":")) + "\n")
    atomic_write_text(folder / CSV_FILE, CSV_HEADER + "".join(done.results[i][2] for i in order))
    report = LoopRunReport(
        folder=folder, written=done.written, failed=done.failed, skipped=done.skipped
    )
    for ann in coco["annotations"]:
        report.defects[CLASSES[ann["category_id"] - 1]] += 1
    return report
