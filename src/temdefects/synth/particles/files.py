"""Files of one synthetic particle image, all sharing its zero-padded index as stem.

``000000.png``  the image (uint8 or uint16 greyscale)
``000000.npz``  ``labels``: the (H, W) int32 label image, 0 background, 1..K particle ids
``000000.json`` the record (format ``temdefects.synth.particles.record/1``): package
                version, seed, index, configuration, the scene (every parameter and
                seed) and the particle table; written last, so it marks a complete image.

Every file is written atomically and deterministically, so rendering a record's
scene again reproduces all three byte for byte.
"""

from __future__ import annotations

import os
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np

from temdefects.errors import InputFileError
from temdefects.io.images import encode_png
from temdefects.synth.files import (
    encode_npz,
    read_generator_record,
    read_sample_record,
    record_head,
    software_versions,
    stem,
    write_sample_files,
)
from temdefects.synth.particles.config import CLASSES, ParticleSynthConfig
from temdefects.synth.particles.render import ParticleSample, render_particle_scene
from temdefects.synth.particles.scene import sample_particle_scene
from temdefects.synth.scene import image_rng

RECORD_FORMAT = "temdefects.synth.particles.record/1"


def generate_particle_image(config: ParticleSynthConfig, seed: int, index: int) -> ParticleSample:
    """Sample and render image ``index`` of a run with ``seed`` (independent of workers)."""
    return render_particle_scene(sample_particle_scene(config, image_rng(seed, index)))


def class_counts(particles: list[dict]) -> dict[str, int]:
    """Number of particles per class, every class listed."""
    counts = Counter(p["class"] for p in particles)
    return {c: int(counts.get(c, 0)) for c in CLASSES}


def make_particle_record(
    sample: ParticleSample,
    *,
    index: int,
    seed: int | None,
    config: dict | None,
    digits: int = 6,
) -> dict:
    """The JSON record of a sample (see the module docstring)."""
    name = stem(index, digits)
    return {
        **record_head(RECORD_FORMAT, index, None if seed is None else int(seed)),
        "files": {"image": f"{name}.png", "labels": f"{name}.npz"},
        "n_particles": len(sample.particles),
        "classes": class_counts(sample.particles),
        "config": config,
        "scene": sample.scene,
        "particles": sample.particles,
        "software": software_versions(),
    }


def encode_labels(labels: np.ndarray) -> bytes:
    """``.npz`` bytes holding the (H, W) int32 label image as ``labels``."""
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.dtype != np.int32:
        raise ValueError(
            f"encode_labels: expected an (H, W) int32 label image, got {labels.dtype} "
            f"of shape {labels.shape}"
        )
    return encode_npz(labels=labels)


def read_labels(path: str | os.PathLike) -> np.ndarray:
    """The (H, W) int32 label image of a file written by :func:`encode_labels`."""
    path = Path(path)
    try:
        with np.load(path) as data:
            labels = data["labels"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise InputFileError(f"{path}: not a readable label file ({exc})") from None
    if labels.ndim != 2 or labels.dtype != np.int32:
        raise InputFileError(f"{path}: expected an (H, W) int32 label image")
    return labels


def write_particle_sample(folder: str | os.PathLike, sample: ParticleSample, record: dict) -> Path:
    """Write image, labels and record of a sample into ``folder``; returns the record path."""
    return write_sample_files(
        folder, record, {"image": encode_png(sample.image), "labels": encode_labels(sample.labels)}
    )


def read_particle_record(path: str | os.PathLike) -> dict:
    """Load and check a particle record JSON."""
    return read_generator_record(path, RECORD_FORMAT, "temdefects synthetic particle record")


def read_particle_sample(folder: str | os.PathLike, index: int | str) -> ParticleSample:
    """Image, label image, particle table and scene of one generated image."""
    folder, record, image = read_sample_record(folder, index, read_particle_record)
    files = record["files"]
    labels = read_labels(folder / files["labels"])
    if labels.shape != image.shape:
        raise InputFileError(f"{folder / files['labels']}: labels do not match the image size")
    return ParticleSample(
        image=image, labels=labels, particles=record["particles"], scene=record["scene"]
    )


def replay_particle_record(path: str | os.PathLike) -> ParticleSample:
    """Render the scene of a record again (identical to the files it describes)."""
    return render_particle_scene(read_particle_record(path)["scene"])
