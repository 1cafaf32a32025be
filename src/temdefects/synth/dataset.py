"""Generating a folder of synthetic images: parallel, resumable, never clobbering.

The seed of image ``i`` derives from ``(run seed, i)`` only, so the output does
not depend on the number of workers. ``dataset.json`` in the folder records the
configuration and seed; an interrupted run resumes by generating the images whose
record is missing.
"""

from __future__ import annotations

import contextlib
import json
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
from temdefects.io.atomic import atomic_write_text, temporary_target
from temdefects.parallel import executor
from temdefects.synth.config import SynthConfig, config_from_dict
from temdefects.synth.files import make_record, stem, write_sample
from temdefects.synth.scene import generate

MANIFEST = "dataset.json"
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


def digits_for(count: int) -> int:
    return max(6, len(str(max(count - 1, 0))))


def _is_complete(folder: Path, name: str) -> bool:
    return all((folder / f"{name}{s}").is_file() for s in (".png", ".npz", ".csv", ".json"))


def prepare_folder(folder: Path, *, overwrite: bool, resume: bool, manifest: dict) -> None:
    """Create ``folder`` or check that it may be used (see the module docstring).

    An existing non-empty folder is refused unless ``overwrite`` (which deletes
    only files this generator writes, nothing else) or ``resume`` (which needs a
    manifest with the same configuration, seed and backgrounds). Both remove the
    temporary files a killed run left of this generator's files.
    """
    if folder.exists() and not folder.is_dir():
        raise InputFileError(f"{folder}: output path exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    entries = list(folder.iterdir())
    if not entries:
        return
    if resume or overwrite:  # temporaries of this generator's files left by a killed run
        for entry in entries:
            target = temporary_target(entry.name)
            if target is not None and _OWN_FILE.match(target) and entry.is_file():
                entry.unlink()
    if resume:
        path = folder / MANIFEST
        if not path.is_file():
            raise TemdefectsError(f"{folder}: cannot resume, no {MANIFEST} in this folder")
        old = json.loads(path.read_text("utf-8"))
        for key in ("config", "seed", "backgrounds"):
            if old.get(key) != manifest.get(key):
                raise TemdefectsError(
                    f"{folder}: cannot resume, the {key} differs from the interrupted run's"
                )
        return
    if not overwrite:
        raise TemdefectsError(
            f"{folder}: output folder is not empty "
            "(use --overwrite to replace its images or --resume to continue)"
        )
    for entry in entries:
        if entry.is_file() and _OWN_FILE.match(entry.name):
            entry.unlink()


@contextlib.contextmanager
def single_threaded():
    """Run with one BLAS and one OpenCV thread, restoring both afterwards.

    Generation is parallel across processes; threads inside one image only
    fight over the cores (multi-threaded BLAS made the Perlin products 10x
    slower on a busy 2-core machine).
    """
    import cv2
    from threadpoolctl import threadpool_limits

    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        cv2.setNumThreads(before)


def _make_one(
    config_dict: dict, seed: int, index: int, folder: str, backgrounds: str | None, digits: int
) -> tuple[int, int]:
    config = config_from_dict(config_dict)
    sample = generate(config, seed, index, backgrounds=backgrounds)
    record = make_record(
        sample, index=index, seed=seed, config=config_dict, backgrounds=backgrounds, digits=digits
    )
    write_sample(folder, sample, record)
    return index, int(sample.masks.shape[0])


def generate_dataset(
    folder: str | os.PathLike,
    config: SynthConfig,
    *,
    count: int,
    seed: int,
    workers: int = 1,
    backgrounds: str | os.PathLike | None = None,
    overwrite: bool = False,
    resume: bool = False,
    progress: bool = True,
    scheduler: str | None = None,
) -> RunReport:
    """Generate ``count`` images into ``folder``.

    Failures of single images (for example an unreadable background file) are
    collected in the report's ``failed`` and do not stop the others. With
    ``workers > 1`` images are made by local processes, with ``scheduler``
    (``tcp://HOST:PORT`` or ``local:N``) by the workers of a Dask cluster,
    which write into ``folder`` (:mod:`temdefects.parallel`); every image
    depends only on the seed and its index, so the files are the same.
    """
    if count < 1:
        raise TemdefectsError(f"count: must be >= 1, got {count}")
    if workers < 1:
        raise TemdefectsError(f"workers: must be >= 1, got {workers}")
    folder = Path(folder)
    bg = str(Path(backgrounds).resolve()) if backgrounds else None
    config_dict = config.to_dict()
    manifest = {
        "format": MANIFEST_FORMAT,
        "temdefects_version": __version__,
        "seed": int(seed),
        "count": int(count),
        "backgrounds": bg,
        "config": config_dict,
    }
    prepare_folder(folder, overwrite=overwrite, resume=resume, manifest=manifest)
    manifest_path = folder / MANIFEST
    if manifest_path.is_file():
        old = json.loads(manifest_path.read_text("utf-8"))
        manifest["count"] = max(int(old.get("count", 0)), count)
    atomic_write_text(manifest_path, strict_json.dumps(manifest, indent=1) + "\n")

    digits = digits_for(manifest["count"])
    report = RunReport(folder=folder)
    todo = []
    for i in range(count):
        if resume and _is_complete(folder, stem(i, digits)):
            report.skipped.append(i)
        else:
            todo.append(i)
    bar = tqdm(total=len(todo), desc="synth", unit="img", disable=not progress, file=sys.stderr)
    args = (config_dict, int(seed))
    parallel = scheduler is not None or (workers > 1 and len(todo) > 1)
    try:
        if not parallel:
            with single_threaded():
                for i in todo:
                    _collect(report, i, lambda i=i: _make_one(*args, i, str(folder), bg, digits))
                    bar.update()
        else:
            with executor(workers, scheduler) as pool:
                futures = {
                    pool.submit(_make_one, *args, i, str(folder.resolve()), bg, digits): i
                    for i in todo
                }
                for fut in as_completed(futures):
                    _collect(report, futures[fut], fut.result)
                    bar.update()
    finally:
        bar.close()
    report.written.sort()
    return report


def _collect(report: RunReport, index: int, call) -> None:
    try:
        _, n = call()
    except TemdefectsError as exc:
        report.failed[index] = str(exc)
    else:
        report.written.append(index)
        report.dislocations += n
