"""Generating a folder of synthetic images: parallel, resumable, never clobbering.

The seed of image ``i`` derives from ``(run seed, i)`` only, so the output does
not depend on the number of workers. ``dataset.json`` in the folder records the
configuration and seed; an interrupted run resumes by generating the images whose
record is missing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing.Unpack is Python 3.11+; annotations are not evaluated
    from typing import Unpack

from temdefects.synth import runner
from temdefects.synth.config import SynthConfig, config_from_dict
from temdefects.synth.dislocations.files import make_record, write_sample
from temdefects.synth.dislocations.scene import generate
from temdefects.synth.runner import (
    MANIFEST,
    Family,
    RunOptions,
    digits_for,
    generate_folder,
    single_threaded,
)

MANIFEST_FORMAT = "temdefects.synth.dataset/1"
PREVIEW = "preview.png"
_OWN_FILE = re.compile(r"^(\d{6,}\.(png|npz|csv|json)|\..*\.tmp|dataset\.json|preview\.png)$")


@dataclass
class RunReport:
    """What a generation run did."""

    folder: Path
    written: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)
    dislocations: int = 0


FAMILY = Family(
    own_file=_OWN_FILE,
    suffixes=(".png", ".npz", ".csv", ".json"),
    resume_keys=("config", "seed", "backgrounds"),
    manifest_format="temdefects.synth.dataset/1",
)


def prepare_folder(folder: Path, *, overwrite: bool, resume: bool, manifest: dict) -> None:
    """:func:`temdefects.synth.runner.prepare_folder` for the dislocation generator."""
    runner.prepare_folder(folder, FAMILY, overwrite=overwrite, resume=resume, manifest=manifest)


def _make_one(
    config_dict: dict, seed: int, backgrounds: str | None, index: int, folder: str, digits: int
) -> int:
    config = config_from_dict(config_dict)
    sample = generate(config, seed, index, backgrounds=backgrounds)
    record = make_record(
        sample, index=index, seed=seed, config=config_dict, backgrounds=backgrounds, digits=digits
    )
    write_sample(folder, sample, record)
    return int(sample.masks.shape[0])


def generate_dataset(
    folder: str | os.PathLike,
    config: SynthConfig,
    *,
    backgrounds: str | os.PathLike | None = None,
    **options: Unpack[RunOptions],
) -> RunReport:
    """Generate ``count`` images into ``folder``.

    The options (:class:`~temdefects.synth.runner.RunOptions`) are those of
    :func:`temdefects.synth.runner.generate_folder`, except that ``progress``
    defaults to true here. Failures of single images (for example an unreadable
    background file) are collected in the report's ``failed`` and do not stop
    the others. With ``workers > 1`` images are made by local processes, with
    ``scheduler`` (``tcp://HOST:PORT`` or ``local:N``) by the workers of a Dask
    cluster, which write into ``folder`` (:mod:`temdefects.parallel`); every
    image depends only on the seed and its index, so the files are the same.
    """
    bg = str(Path(backgrounds).resolve()) if backgrounds else None
    options = {"progress": True, **options}
    done = generate_folder(
        folder, FAMILY, _make_one, config=config.to_dict(), extra={"backgrounds": bg}, **options
    )
    return RunReport(
        folder=Path(folder),
        written=done.written,
        skipped=done.skipped,
        failed=done.failed,
        dislocations=sum(done.results.values()),
    )


__all__ = [
    "MANIFEST",
    "PREVIEW",
    "RunReport",
    "digits_for",
    "generate_dataset",
    "prepare_folder",
    "single_threaded",
]
