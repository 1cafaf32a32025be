"""Generated particle folders as training data: splits, ground-truth particles and features."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import numpy as np

from temdefects.errors import InputFileError
from temdefects.particles.config import FeatureConfig
from temdefects.particles.features import FEATURE_NAMES, label_features


def list_particle_samples(folder: str | os.PathLike) -> list[str]:
    """Stems of the complete images (those with a record) of a generated folder, sorted.

    Raises
    ------
    InputFileError
        If the folder is missing or holds no generated image.
    """
    from temdefects.synth.files import list_samples

    names = list_samples(folder)
    if not names:
        raise InputFileError(
            f"{folder}: no generated particle images (NNNNNN.json records) in folder"
        )
    return names


def split_names(
    folder: str | os.PathLike, *, test_fraction: float, test_folder: str | os.PathLike | None
) -> tuple[tuple[Path, list[str]], tuple[Path, list[str]]]:
    """``(folder, train names), (test folder, test names)``.

    Without ``test_folder`` the last ``ceil(test_fraction * n)`` images (at least
    one) of ``folder`` are the test split and never used for training.

    Raises
    ------
    InputFileError
        Too few images for both splits, or an empty folder.
    """
    folder = Path(folder)
    names = list_particle_samples(folder)
    if test_folder is not None:
        return (folder, names), (Path(test_folder), list_particle_samples(test_folder))
    n_test = max(1, math.ceil(test_fraction * len(names)))
    if len(names) - n_test < 1:
        raise InputFileError(
            f"{folder}: {len(names)} images cannot hold a training and a test split "
            "(generate more or give a test folder)"
        )
    return (folder, names[:-n_test]), (folder, names[-n_test:])


def split_groups(data) -> tuple[list[tuple[Path, list[str]]], list[tuple[Path, list[str]]]]:
    """Training and test groups ``[(folder, names), ...]`` of a ``data`` config section.

    ``data.folder`` is split by :func:`split_names`; each of ``data.extra_folders``
    gives its last ``data.test_fraction`` (at least one image) to the test split.
    """
    train, test = split_names(
        data.folder, test_fraction=data.test_fraction, test_folder=data.test_folder
    )
    trains, tests = [train], [test]
    for extra in data.extra_folders:
        more, held = split_names(
            extra, test_fraction=max(data.test_fraction, 1e-9), test_folder=None
        )
        trains.append(more)
        tests.append(held)
    return trains, tests


def pixel_size_range(folder: str | os.PathLike) -> list[float] | None:
    """``[lo, hi]`` pixel size of a generated folder in nm/px (from ``dataset.json``), or None."""
    path = Path(folder) / "dataset.json"
    try:
        config = json.loads(path.read_text("utf-8"))["config"]
        lo, hi = config["pixel_size"]
        return [float(lo) / 1000.0, float(hi) / 1000.0]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def pixel_size_span(folders: list[str | os.PathLike]) -> list[float] | None:
    """``[lo, hi]`` pixel size (nm/px) over several generated folders, or None if any lacks it."""
    ranges = [pixel_size_range(f) for f in folders]
    if not ranges or any(r is None for r in ranges):
        return None
    return [min(r[0] for r in ranges), max(r[1] for r in ranges)]


def particle_areas(groups) -> np.ndarray:
    """Visible areas (px) of every true particle of ``groups`` (their records).

    ``groups``: ``(folder, names)`` or a list of them.
    """
    from temdefects.synth.particles.files import read_particle_record

    if isinstance(groups, tuple):
        groups = [groups]
    areas = [
        p["area_px"]
        for folder, names in groups
        for name in names
        for p in read_particle_record(Path(folder) / f"{name}.json")["particles"]
        if p.get("area_px")
    ]
    return np.asarray(areas, dtype=np.float64)


def ground_truth_features(
    folder: str | os.PathLike,
    names: list[str],
    *,
    config: FeatureConfig | None = None,
    min_size: int = 30,
    progress: bool = False,
) -> tuple[np.ndarray, list[str], list[tuple[str, int]]]:
    """Features of the true particles of generated images.

    Particles with fewer than ``min_size`` visible pixels are left out (as the
    pipeline removes such objects).

    Returns
    -------
    features : float64 (N, F)
    classes : list of N class names from the generator's particle table
    keys : list of N ``(image name, particle id)``
    """
    from tqdm import tqdm

    from temdefects.particles.segment import read_pair
    from temdefects.synth.particles.files import read_particle_record

    folder = Path(folder)
    blocks, classes, keys = [], [], []
    for name in tqdm(names, desc="features", unit="img", disable=not progress, file=sys.stderr):
        image, labels = read_pair(folder, name)
        table = read_particle_record(folder / f"{name}.json")["particles"]
        area = np.bincount(labels.ravel(), minlength=len(table) + 1)
        rows = [p for p in table if p["id"] < len(area) and area[p["id"]] >= max(min_size, 1)]
        if not rows:
            continue
        blocks.append(label_features(image, labels, ids=[p["id"] for p in rows], config=config))
        classes.extend(p["class"] for p in rows)
        keys.extend((name, int(p["id"])) for p in rows)
    if not blocks:
        return np.zeros((0, len(FEATURE_NAMES))), [], []
    return np.concatenate(blocks), classes, keys


__all__ = [
    "ground_truth_features",
    "list_particle_samples",
    "particle_areas",
    "pixel_size_range",
    "pixel_size_span",
    "split_groups",
    "split_names",
]
