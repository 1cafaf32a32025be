"""The dataset runner every generator uses: folder checks, manifest, resume, workers, failures.

A family (dislocations, loops, particles) supplies what differs: the files it
owns (a regular expression of names), the files that make one image complete,
and a picklable ``make_one(*args, index, folder, digits)`` that writes image
``index``. The runner

- refuses a non-empty folder unless ``overwrite`` (which deletes only the
  family's own files) or ``resume`` (which needs a manifest with the same
  configuration and seed, and skips the images already complete);
- writes ``dataset.json`` (the manifest) atomically;
- makes the images in this process, in local processes, or on the workers of a
  Dask cluster (:mod:`temdefects.parallel`); image ``i`` depends on
  ``(seed, i)`` only, so the files are the same for any of them;
- collects the failure of single images (a :class:`TemdefectsError`, for
  example an unreadable background) without stopping the others.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from tqdm import tqdm

from temdefects import __version__
from temdefects.errors import InputFileError, TemdefectsError
from temdefects.io.atomic import atomic_write_json, remove_temporaries
from temdefects.parallel import executor
from temdefects.synth.files import stem

MANIFEST = "dataset.json"

__all__ = [
    "MANIFEST",
    "Family",
    "Outcome",
    "RunOptions",
    "check_run",
    "digits_for",
    "generate_folder",
    "prepare_folder",
    "run_images",
    "single_threaded",
    "write_manifest",
]


@dataclass(frozen=True)
class Family:
    """What the runner needs to know of one generator's files."""

    own_file: re.Pattern
    suffixes: tuple = (".png", ".npz", ".json")
    resume_keys: tuple = ("config", "seed")
    desc: str = "synth"
    manifest_format: str = "temdefects.synth.dataset/1"

    def is_complete(self, folder: Path, name: str) -> bool:
        """All files of image ``name`` are there (the record is written last)."""
        return all((folder / f"{name}{s}").is_file() for s in self.suffixes)


@dataclass
class Outcome:
    """What a run did: indices written, skipped (resume) and failed, with each result."""

    written: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    digits: int = 6


class _RunCount(TypedDict):
    count: int
    seed: int


class RunOptions(_RunCount, total=False):
    """The options of a run that every ``generate_*_dataset`` passes on to :func:`generate_folder`.

    ``count`` and ``seed`` are required; ``workers``, ``overwrite``, ``resume``,
    ``progress`` and ``scheduler`` default to :func:`generate_folder`'s values.
    """

    workers: int
    overwrite: bool
    resume: bool
    progress: bool
    scheduler: str | None


def digits_for(count: int) -> int:
    """Digits of the zero-padded file stems of a run of ``count`` images (at least 6)."""
    return max(6, len(str(max(count - 1, 0))))


def check_run(count, workers) -> None:
    """One line for a ``count`` or ``workers`` that is not a whole number >= 1."""
    for name, value in (("count", count), ("workers", workers)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise TemdefectsError(f"{name}: must be an integer >= 1, got {value!r}")


def prepare_folder(
    folder: Path, family: Family, *, overwrite: bool, resume: bool, manifest: dict
) -> None:
    """Create ``folder`` or check that it may be used (see the module docstring).

    Both ``overwrite`` and ``resume`` first remove the temporary files a killed
    run left of this family's files; files of other programs are never touched.
    """
    if overwrite and resume:
        raise TemdefectsError("overwrite and resume exclude each other")
    if folder.exists() and not folder.is_dir():
        raise InputFileError(f"{folder}: output path exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    entries = list(folder.iterdir())
    if not entries:
        return
    if resume or overwrite:
        remove_temporaries(folder, own=family.own_file.match)
    if resume:
        path = folder / MANIFEST
        if not path.is_file():
            raise TemdefectsError(f"{folder}: cannot resume, no {MANIFEST} in this folder")
        old = json.loads(path.read_text("utf-8"))
        for key in family.resume_keys:
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
        if entry.is_file() and family.own_file.match(entry.name):
            entry.unlink()


def write_manifest(folder: Path, manifest: dict, *, resume: bool) -> dict:
    """Write ``dataset.json``; a resumed run keeps the larger of the two counts."""
    path = folder / MANIFEST
    manifest = dict(manifest)
    if resume and path.is_file():
        old = json.loads(path.read_text("utf-8"))
        manifest["count"] = max(int(old.get("count", 0)), int(manifest["count"]))
    atomic_write_json(path, manifest)
    return manifest


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


def generate_folder(
    folder,
    family: Family,
    make_one: Callable,
    *,
    config: dict,
    seed: int,
    count: int,
    workers: int = 1,
    extra: dict | None = None,
    overwrite: bool = False,
    resume: bool = False,
    progress: bool = False,
    scheduler: str | None = None,
) -> Outcome:
    """A whole run: checks, folder, manifest, then ``make_one(config, seed, *extra, index, ...)``.

    Parameters
    ----------
    folder
        Output folder; created if missing. A non-empty folder is refused unless
        ``overwrite`` (which deletes only the family's own files) or ``resume``.
    family
        The generator's files (:class:`Family`).
    config, seed, count
        The configuration as a plain dict, the run's seed and the number of images;
        image ``i`` depends on ``(seed, i)`` only.
    workers
        Local processes; the files are the same for any number.
    extra
        Further manifest entries (for example the background folder); their
        values are passed to ``make_one`` after the configuration and seed.
    overwrite
        Replace an earlier run's files.
    resume
        Continue an interrupted run with the same configuration and seed; the
        complete images are skipped.
    progress
        Show a progress bar on stderr.
    scheduler
        Dask scheduler (``tcp://HOST:PORT``, or ``local:N`` for a local cluster)
        whose workers make the images (:mod:`temdefects.parallel`); they must
        see ``folder``.

    Raises
    ------
    TemdefectsError
        For a bad ``count`` or ``workers``, or a folder that may not be used.
    """
    check_run(count, workers)
    folder = Path(folder)
    extra = extra or {}
    manifest = {
        "format": family.manifest_format,
        "temdefects_version": __version__,
        "seed": int(seed),
        "count": int(count),
        **extra,
        "config": config,
    }
    prepare_folder(folder, family, overwrite=overwrite, resume=resume, manifest=manifest)
    manifest = write_manifest(folder, manifest, resume=resume)
    return run_images(
        folder,
        family,
        make_one,
        (config, int(seed), *extra.values()),
        count=count,
        digits=digits_for(manifest["count"]),
        resume=resume,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
    )


def run_images(
    folder: Path,
    family: Family,
    make_one: Callable,
    args: Sequence,
    *,
    count: int,
    digits: int,
    resume: bool = False,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
) -> Outcome:
    """Make images ``0 .. count-1`` with ``make_one(*args, index, folder, digits)``.

    With ``resume`` the complete images are skipped (listed in ``skipped``). The
    result of each image that was made lands in ``results[index]``; a
    :class:`TemdefectsError` of one image lands in ``failed[index]``.
    """
    out = Outcome(digits=digits)
    todo = []
    for i in range(count):
        if resume and family.is_complete(folder, stem(i, digits)):
            out.skipped.append(i)
        else:
            todo.append(i)
    bar = tqdm(total=len(todo), desc=family.desc, unit="img", disable=not progress, file=sys.stderr)
    parallel = scheduler is not None or (workers > 1 and len(todo) > 1)
    try:
        if not parallel:
            with single_threaded():
                for i in todo:
                    _collect(out, i, lambda i=i: make_one(*args, i, str(folder), digits))
                    bar.update()
        else:
            where = str(folder.resolve())
            with executor(workers, scheduler) as pool:
                futures = {pool.submit(make_one, *args, i, where, digits): i for i in todo}
                for fut in as_completed(futures):
                    _collect(out, futures[fut], fut.result)
                    bar.update()
    finally:
        bar.close()
    out.written.sort()
    return out


def _collect(out: Outcome, index: int, call) -> None:
    try:
        result = call()
    except TemdefectsError as exc:
        out.failed[index] = str(exc)
    else:
        out.written.append(index)
        out.results[index] = result
