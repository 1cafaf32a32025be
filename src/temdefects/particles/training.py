"""One training run of the whole particle pipeline into one model folder.

0. The instance settings stored for the pipeline get ``min_size`` set to
   ``instances.min_area_fraction`` of the 1st percentile of the true
   particles' visible areas in the training images
   (:func:`effective_instances`): specks of support that the segmenter calls
   particle are far smaller than any particle it was trained on.
1. The segmenter is trained on a generated particle folder
   (:func:`~temdefects.particles.segment.train_segmenter`); the test split is
   the last ``data.test_fraction`` of the folder or ``data.test_folder``.
2. Features of the true particles of the training and test images are
   extracted (:func:`~temdefects.particles.data.ground_truth_features`).
3. A random forest and a gradient boosting classifier are trained on them and
   compared on the test particles; the better one is kept
   (:func:`~temdefects.particles.classify.train_classifiers`).

The folder then holds ``config.json`` (model and record, ``"task":
"particles"``), ``model.safetensors``, ``metrics.json`` (segmentation and
classification), ``classifier.skops``, ``classifier.json``, ``log.csv`` and
``train_config.yaml``. While the segmenter trains, ``checkpoints/segmenter.pt``
holds its resumable state (``resume=True`` goes on from it); it is removed when
the folder is complete.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml

from temdefects.errors import TemdefectsError
from temdefects.io.atomic import (
    atomic_write_json,
    atomic_write_text,
    check_output_folder,
    remove_if_empty,
)
from temdefects.particles.config import InstanceConfig, ParticleTrainConfig
from temdefects.schema import to_plain
from temdefects.train.checkpoint import require_checkpoint

TASK = "particles"
OWN_FILES = (
    "config.json",
    "model.safetensors",
    "metrics.json",
    "classifier.skops",
    "classifier.json",
    "classifier_data.npz",
    "log.csv",
    "train_config.yaml",
)
CHECKPOINT = Path("checkpoints") / "segmenter.pt"


def _prepare_output(out: Path, overwrite: bool, resume: bool) -> None:
    if resume:
        require_checkpoint(out, CHECKPOINT)
        return
    if not overwrite and (out / CHECKPOINT).is_file():
        raise TemdefectsError(
            f"{out}: holds an interrupted training run (use --resume to continue it, "
            "--overwrite to start again)"
        )
    check_output_folder(out, overwrite)
    out.mkdir(parents=True, exist_ok=True)
    for name in OWN_FILES:
        (out / name).unlink(missing_ok=True)
    (out / CHECKPOINT).unlink(missing_ok=True)


def effective_instances(instances: InstanceConfig, train) -> tuple[InstanceConfig, dict]:
    """Instance settings with ``min_size`` set from the training particles' areas.

    ``train``: ``(folder, names)`` or a list of them. Returns the settings and
    the area statistics (px) of the true particles:
    ``p1`` (1st percentile), ``median`` and ``count``.
    """
    from temdefects.particles.data import particle_areas

    return floor_from_areas(instances, particle_areas(train))


def floor_from_areas(instances: InstanceConfig, areas: np.ndarray) -> tuple[InstanceConfig, dict]:
    """``min_size`` set to ``min_area_fraction`` of the 1st percentile of ``areas`` (px).

    Returns the settings and ``{"p1", "median", "count"}`` of the areas; with no
    areas, or ``min_area_fraction`` 0, ``min_size`` stays.
    """
    areas = np.asarray(areas, np.float64)
    areas = areas[areas > 0]
    if not len(areas):
        return instances, {"p1": None, "median": None, "count": 0}
    p1 = float(np.percentile(areas, 1))
    stats = {"p1": round(p1, 1), "median": float(np.median(areas)), "count": int(len(areas))}
    if instances.min_area_fraction > 0:
        floor = max(1, int(round(instances.min_area_fraction * p1)))
        instances = replace(instances, min_size=floor)
    return instances, stats


def _features(groups, kw: dict) -> tuple[np.ndarray, list[str]]:
    from temdefects.particles.data import ground_truth_features

    blocks, classes = [], []
    for folder, names in groups:
        x, y, _ = ground_truth_features(folder, names, **kw)
        blocks.append(x)
        classes.extend(y)
    return np.concatenate(blocks), classes


def train_particle_model(
    config: ParticleTrainConfig,
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
    resume: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict:
    """Train segmenter and classifiers as configured and write the model folder ``out``.

    Parameters
    ----------
    config
        The run's configuration; ``config.data.folder`` must be set.
    out
        Model folder to write; must be empty or missing unless ``overwrite``.
    overwrite
        Replace the files of an earlier run in ``out``.
    resume
        Go on with the interrupted run in ``out`` (same configuration).
    progress
        Progress bars on stderr.
    log
        Receives a line per epoch and per stage.

    Returns
    -------
    dict
        The contents of ``metrics.json``.

    Raises
    ------
    TemdefectsError
        A missing data folder, too few images or classes, a non-empty ``out``.
    """

    from temdefects.models import save_model
    from temdefects.particles.classify import save_classifier, train_classifiers
    from temdefects.particles.data import pixel_size_span, split_groups
    from temdefects.particles.features import FEATURE_NAMES
    from temdefects.particles.segment import train_segmenter
    from temdefects.synth.particles import CLASSES

    if not config.data.folder:
        raise TemdefectsError("data.folder: a generated particle folder is required")
    out = Path(out)
    train, test = split_groups(config.data)
    instances, areas = effective_instances(config.instances, train)
    _prepare_output(out, overwrite, resume)
    atomic_write_text(
        out / "train_config.yaml",
        yaml.safe_dump(config.to_dict(), sort_keys=False, default_flow_style=None),
    )
    n_train, n_test = (sum(len(names) for _, names in g) for g in (train, test))
    log(f"segmenter: {n_train} training and {n_test} test images")
    seg = train_segmenter(
        config,
        train,
        test,
        log_path=out / "log.csv",
        progress=progress,
        log=log,
        checkpoint=out / CHECKPOINT,
        resume=resume,
    )
    record = {
        "task": TASK,
        "train_config": config.to_dict(),
        "seed": config.seed,
        "data": {
            "folder": str(train[0][0].resolve()),
            "train_images": n_train,
            "test_folder": str(test[0][0].resolve()),
            "test_images": n_test,
            "test_names": [test[0][1][0], test[0][1][-1]],
            "folders": [
                {"folder": str(f.resolve()), "train_images": len(names)} for f, names in train
            ],
            "pixel_size_nm": pixel_size_span([f for f, _ in train]),
            "particle_area_px": areas,
        },
        "instances": to_plain(instances),
        "features": to_plain(config.features),
        **seg.run_record(),
    }
    segmentation = {"test_dice": seg.best["test_dice"], "epoch": seg.best["epoch"]}
    save_model(out, seg.model, record=record, metrics={"segmentation": segmentation})

    log("classifier: features of the true particles")
    kw = {"config": config.features, "min_size": instances.min_size, "progress": progress}
    x_train, y_train = _features(train, kw)
    x_test, y_test = _features(test, kw)
    clf, results = train_classifiers(
        x_train,
        y_train,
        x_test,
        y_test,
        feature_names=FEATURE_NAMES,
        classes=CLASSES,
        config=config.classifier,
        random_state=config.seed,
    )
    clf_record = {
        "task": TASK,
        "classifier_config": to_plain(config.classifier),
        "features": to_plain(config.features),
        "seed": config.seed,
        "train_particles": len(y_train),
        "test_particles": len(y_test),
        "data": record["data"],
    }
    save_classifier(out, replace(clf, record=clf_record), training_data=(x_train, y_train))
    for kind in ("random_forest", "gradient_boosting"):
        acc = results[kind].get("test_accuracy")
        log(f"{kind}: test accuracy {acc:.3f}" if acc is not None else f"{kind}: no test set")
    log(f"selected: {results['selected']}")
    metrics = {"segmentation": segmentation, "classification": results}
    atomic_write_json(out / "metrics.json", metrics)
    (out / CHECKPOINT).unlink(missing_ok=True)
    remove_if_empty((out / CHECKPOINT).parent)
    return metrics


__all__ = [
    "CHECKPOINT",
    "OWN_FILES",
    "TASK",
    "effective_instances",
    "floor_from_areas",
    "train_particle_model",
]
