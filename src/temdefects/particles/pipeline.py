"""One image through the particle pipeline: segment, split, measure, classify.

1. The image is clipped to its 0.5/99.5 percentiles and scaled to [0, 1]
   (:func:`temdefects.io.images.prepare_image`).
2. When its pixel size is known and the model's training data state theirs,
   an image outside that range is resampled to its nearest end (``rescale``),
   so particles and fringes have the sizes in px the model learnt.
3. The segmenter's probability (threshold ``instances.threshold``) becomes one
   label per particle (:func:`temdefects.particles.instances.label_particles`).
   The smallest particle kept is the largest of ``instances.min_size`` px (set
   by training from its particles' areas), a disc of
   ``instances.min_diameter_nm`` where the pixel size is known, and
   ``instances.relative_min_size`` of the image's median object area.
4. Features per particle (:mod:`temdefects.particles.features`) go to the
   classifier. Labels are resampled back, so all results are in px of the
   original image.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from temdefects.builtin_models import resolve_model_path, shipped_model_path
from temdefects.errors import ConfigError, InputFileError
from temdefects.particles.config import FeatureConfig, InstanceConfig

ROW_KEYS = (
    "id",
    "centroid_x",
    "centroid_y",
    "area_px",
    "area_nm2",
    "diameter_px",
    "diameter_nm",
    "class",
    "probability",
    "touches_border",
)


@dataclass(frozen=True, eq=False)
class ParticleModel:
    """Segmenter, classifier and the settings they were trained with."""

    segmenter: object
    classifier: object
    instances: InstanceConfig
    features: FeatureConfig
    pixel_size_range: tuple[float, float] | None  # nm/px of the training images
    path: Path | None = None
    median_area_px: float | None = None  # of the training particles (record data.particle_area_px)


@dataclass(frozen=True, eq=False)
class ParticleResult:
    """Particles of one image, in px of that image.

    Attributes
    ----------
    labels
        (H, W) int32, 0 background, ``k`` the pixels of row ``k - 1``'s particle.
    rows
        One dict per particle with :data:`ROW_KEYS`.
    probability
        (H, W) float32 particle probability of the segmenter.
    image
        (H, W) float32 in [0, 1], the image as prepared for the model.
    pixel_size
        nm per px, or None.
    factor
        Resampling factor applied before the model (1: none).
    """

    labels: np.ndarray
    rows: list
    probability: np.ndarray
    image: np.ndarray
    pixel_size: float | None
    factor: float


#: Particle models shipped with the package: name -> folder beside this module.
#: ``hrtem`` (the default) learnt lattice-resolved particles on amorphous support;
#: ``haadf`` learnt Z-contrast particles without fringes on a grainy support
#: (HAADF-STEM, e.g. tomography slices).
BUILTIN_PARTICLE_MODELS = {"hrtem": "default", "haadf": "haadf"}


def default_particle_model_path(name: str = "hrtem") -> Path:
    """Folder of a particle model shipped with the package (:data:`BUILTIN_PARTICLE_MODELS`).

    >>> default_particle_model_path().name, default_particle_model_path("haadf").name
    ('default', 'haadf')
    """
    return shipped_model_path("particles", BUILTIN_PARTICLE_MODELS[name])


def particle_model_path(path: str | os.PathLike | None) -> Path:
    """The folder ``path`` names: a folder, a built-in model's name, or None (the default).

    A folder of that name in the working directory wins over the built-in.
    """
    return resolve_model_path(path, BUILTIN_PARTICLE_MODELS, default_particle_model_path)


def load_particle_model(
    path: str | os.PathLike | None = None, *, device: str = "cpu"
) -> ParticleModel:
    """Read a particle model folder (``temdefects particles train`` writes one).

    Raises
    ------
    InputFileError
        If the folder is not a particle model folder, or no default is installed.
    """
    from temdefects.models import load
    from temdefects.particles.classify import load_classifier
    from temdefects.schema import parse_section

    folder = particle_model_path(path)
    builtin = path is None or folder != Path(path)  # resolved to a shipped folder
    if builtin and not (folder / "config.json").is_file():
        what = "default" if path is None else f"built-in {str(path)!r}"
        raise InputFileError(
            f"no {what} particle model is installed with this version; pass --model DIR "
            "(temdefects particles train writes one)"
        )
    segmenter = load(folder, device=device)
    record = segmenter.record.get("training", {})
    if record.get("task") != "particles":
        raise InputFileError(f"{folder}: not a particle model (its record lacks task 'particles')")
    classifier = load_classifier(folder)
    try:
        instances = parse_section(InstanceConfig, record.get("instances"), "instances")
        features = parse_section(FeatureConfig, record.get("features"), "features")
    except ConfigError as exc:
        raise InputFileError(f"{folder / 'config.json'}: {exc}") from None
    data = record.get("data") or {}
    sizes = data.get("pixel_size_nm")
    sizes = (float(sizes[0]), float(sizes[1])) if sizes else None
    median = (data.get("particle_area_px") or {}).get("median")
    median = float(median) if median else None
    return ParticleModel(segmenter, classifier, instances, features, sizes, folder, median)


def resample_factor(pixel_size: float | None, trained: tuple[float, float] | None) -> float:
    """Factor that brings ``pixel_size`` into the ``trained`` range (1 when inside or unknown).

    Examples
    --------
    >>> resample_factor(0.0075, (0.02, 0.04)), resample_factor(0.03, (0.02, 0.04))
    (0.375, 1.0)
    """
    if not pixel_size or not trained:
        return 1.0
    target = min(max(pixel_size, trained[0]), trained[1])
    return float(pixel_size / target)


def _rows(labels, classes, probs, pixel_size) -> list[dict]:
    from temdefects.particles.instances import touches_border

    n = int(labels.max(initial=0))
    if n == 0:
        return []
    ids = np.arange(1, n + 1)
    area = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    centres = ndi.center_of_mass(np.ones(labels.shape), labels, ids)
    border = touches_border(labels)
    rows = []
    for k in range(n):
        a = int(area[k])
        d = 2.0 * math.sqrt(a / math.pi)
        rows.append(
            {
                "id": k + 1,
                "centroid_x": round(float(centres[k][1]), 2),
                "centroid_y": round(float(centres[k][0]), 2),
                "area_px": a,
                "area_nm2": round(a * pixel_size**2, 4) if pixel_size else None,
                "diameter_px": round(d, 3),
                "diameter_nm": round(d * pixel_size, 4) if pixel_size else None,
                "class": classes[k],
                "probability": round(float(probs[k]), 4) if np.isfinite(probs[k]) else None,
                "touches_border": bool(border[k + 1]),
            }
        )
    return rows


def analyze_particles(
    model: ParticleModel,
    image: np.ndarray,
    *,
    pixel_size: float | None = None,
    rescale: bool = True,
    instances: InstanceConfig | None = None,
    flips: bool = False,
    pyramid: bool = False,
) -> ParticleResult:
    """Segment, split, measure and classify the particles of one image.

    Parameters
    ----------
    model
        From :func:`load_particle_model`.
    image
        (H, W) greyscale, any numeric type (raw values are fine).
    pixel_size
        nm per px; gives ``area_nm2``/``diameter_nm`` and allows ``rescale``.
    rescale
        Resample images whose pixel size lies outside the training range.
    instances
        Overrides the model's instance settings.
    flips
        Average the segmentation of the image and its three mirror images
        (test-time augmentation; 4x the segmentation time).
    pyramid
        Without a pixel size, also look for particles too large for the model
        at this scale (:func:`pyramid_particles`); up to 2x the time.

    Returns
    -------
    ParticleResult
    """
    import cv2

    from temdefects.io.images import prepare_image
    from temdefects.models import predict
    from temdefects.particles.features import label_features

    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"analyze_particles: expected a 2D image, got shape {image.shape}")
    ic = instances or model.instances
    unit = prepare_image(image.astype(np.float32))
    h, w = unit.shape
    factor = resample_factor(pixel_size, model.pixel_size_range) if rescale else 1.0
    small = unit
    if factor != 1.0:
        size = (max(32, round(w * factor)), max(32, round(h * factor)))
        inter = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
        small = cv2.resize(unit, size, interpolation=inter)
    probs, _ = predict(model.segmenter, small, flips=flips)
    prob = probs[0]
    min_size = max(1, round(ic.min_size))
    if pixel_size and ic.min_diameter_nm > 0:  # a disc of min_diameter_nm, at the working scale
        radius_px = ic.min_diameter_nm / (pixel_size / factor) / 2.0
        min_size = max(min_size, math.floor(math.pi * radius_px**2))
    labels = _label(prob, ic, min_size)
    if pyramid and not pixel_size and factor == 1.0:
        labels = pyramid_particles(model, unit, labels, instances=ic, flips=flips)
    features = label_features(small, labels, config=model.features)
    classes, class_probs = model.classifier.predict(features)
    if small is not unit:
        labels = cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST)
        prob = cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR)
        present = np.unique(labels)
        present = present[present > 0]
        lut = np.zeros(len(classes) + 1, np.int32)
        lut[present] = np.arange(1, len(present) + 1, dtype=np.int32)
        labels = lut[labels]
        classes = [classes[i - 1] for i in present]
        class_probs = class_probs[present - 1]
    rows = _rows(labels, classes, class_probs, pixel_size)
    return ParticleResult(labels.astype(np.int32), rows, prob, unit, pixel_size, factor)


def _label(prob: np.ndarray, ic: InstanceConfig, min_size: int) -> np.ndarray:
    from temdefects.particles.instances import label_particles

    return label_particles(
        prob >= ic.threshold,
        min_size=min_size,
        relative_min_size=ic.relative_min_size,
        expected_diameter=ic.expected_diameter or None,
        merge_ratio=ic.merge_ratio,
        exclude_border=ic.exclude_border,
    )


#: Scale-space search (``pyramid``): halve the image while its shorter side stays
#: at least this many px.
PYRAMID_MIN_SIDE = 64


def pyramid_particles(
    model: ParticleModel,
    unit: np.ndarray,
    labels: np.ndarray,
    *,
    instances: InstanceConfig | None = None,
    flips: bool = False,
) -> np.ndarray:
    """Add the particles too large for the model at the image's own scale.

    A model finds particles of about the sizes it learnt
    (``model.median_area_px``; median diameter ``d``). Without a pixel size, much larger
    particles are missed (issue 19: HAADF particles of 100-500 px, recall 0.02).
    So the image is halved again and again (down to :data:`PYRAMID_MIN_SIDE`
    px) and segmented at each scale. A particle found at scale ``s`` is added
    when it is 0.5-3 ``d`` across there and at least 2 ``d`` across in the
    image's own px (smaller ones are the full-scale pass's job), does not touch
    the border at that scale (a cut-off bright region is no particle), and is
    found again at a neighbouring scale (a factor 2 finer or coarser, IoU >= 0.5
    in image px): texture makes blobs at one scale only. Finest scale first;
    an added particle replaces the full-scale labels mostly (> 50 %) inside it,
    unless two or more of them are particle-sized (>= d / 2 across): a cluster
    of small particles stays as it is.

    Parameters
    ----------
    model
        From :func:`load_particle_model`.
    unit
        (H, W) float32 image in [0, 1], as prepared for the model.
    labels
        (H, W) int labels of the full-scale pass.

    Returns
    -------
    np.ndarray
        (H, W) int32 labels, consecutive, the full-scale ones first.
    """
    import cv2

    from temdefects.models import predict

    ic = instances or model.instances
    if not model.median_area_px:
        return np.asarray(labels, np.int32)
    d = 2.0 * math.sqrt(model.median_area_px / math.pi)
    h, w = unit.shape
    out = np.asarray(labels, np.int32).copy()  # the full-scale labels stay as they were
    # per scale: (rows, columns) factor, labels, and label areas in the image's px
    levels = [(1.0, 1.0, np.asarray(labels), np.bincount(out.ravel()))]
    found, s = [], 0.5
    while min(h, w) * s >= PYRAMID_MIN_SIDE:
        small = cv2.resize(unit, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        coarse = _label(
            predict(model.segmenter, small, flips=flips)[0][0], ic, max(1, round(ic.min_size))
        )
        fy, fx = coarse.shape[0] / h, coarse.shape[1] / w
        levels.append((fy, fx, coarse, np.bincount(coarse.ravel()) / (fy * fx)))
        edge = np.unique(np.concatenate([coarse[0], coarse[-1], coarse[:, 0], coarse[:, -1]]))
        for k, a in enumerate(np.bincount(coarse.ravel())[1:], 1):
            size = 2.0 * math.sqrt(a / math.pi)
            if a and k not in edge and 0.5 * d <= size <= 3.0 * d and size / s >= 2.0 * d:
                found.append((len(levels) - 1, k))
        s /= 2
    n0 = next_id = int(out.max(initial=0)) + 1
    areas = levels[0][3]  # of the full-scale labels, which only ever vanish
    sizes = 2.0 * np.sqrt(areas[1:] / math.pi)
    for level, k in found:
        box, mask = _native_mask(levels[level], k, (h, w))
        near = (j for j in (level - 1, level + 1) if 0 <= j < len(levels))
        if not any(_overlaps(_native_labels(levels[j], box), mask, levels[j][3]) for j in near):
            continue  # found at one scale only: texture, not a particle
        y0, y1, x0, x1 = box
        crop = out[y0:y1, x0:x1]
        under = [u for u in np.unique(crop[mask]) if u]
        if any(u >= n0 and (crop[mask] == u).sum() > 0.3 * mask.sum() for u in under):
            continue  # already added from a finer scale
        inside = [u for u in under if u < n0 and (crop[mask] == u).sum() > 0.5 * areas[u]]
        if sum(sizes[u - 1] >= 0.5 * d for u in inside) >= 2:
            continue  # a cluster of particle-sized ones: keep them
        if inside:
            out[np.isin(out, inside)] = 0
        crop[mask & (crop == 0)] = next_id
        next_id += 1
    present = np.unique(out)
    lut = np.zeros(int(out.max(initial=0)) + 1, np.int32)
    lut[present] = np.arange(len(present), dtype=np.int32)
    return lut[out]


def _native_mask(level: tuple, k: int, shape: tuple[int, int]) -> tuple[tuple, np.ndarray]:
    """Box (y0, y1, x0, x1) in image px around label ``k`` of a coarse ``level``, and its
    mask there (the coarse mask resampled linearly, cut at one half: smooth edges)."""
    import cv2

    fy, fx, coarse, _ = level
    rows, cols = np.nonzero(coarse == k)
    y0, x0 = int(rows.min() / fy) - 2, int(cols.min() / fx) - 2
    y1, x1 = int(math.ceil((rows.max() + 1) / fy)) + 2, int(math.ceil((cols.max() + 1) / fx)) + 2
    y0, x0, y1, x1 = max(y0, 0), max(x0, 0), min(y1, shape[0]), min(x1, shape[1])
    map_x = np.repeat(((np.arange(x0, x1) + 0.5) * fx - 0.5)[None].astype(np.float32), y1 - y0, 0)
    map_y = np.repeat(
        ((np.arange(y0, y1) + 0.5) * fy - 0.5)[:, None].astype(np.float32), x1 - x0, 1
    )
    soft = cv2.remap((coarse == k).astype(np.float32), map_x, map_y, cv2.INTER_LINEAR)
    return (y0, y1, x0, x1), soft >= 0.5


def _native_labels(level: tuple, box: tuple) -> np.ndarray:
    """Labels of a ``level`` sampled (nearest) at the image px of ``box``."""
    fy, fx, coarse, _ = level
    y0, y1, x0, x1 = box
    rows = np.minimum(((np.arange(y0, y1) + 0.5) * fy).astype(np.intp), coarse.shape[0] - 1)
    cols = np.minimum(((np.arange(x0, x1) + 0.5) * fx).astype(np.intp), coarse.shape[1] - 1)
    return coarse[np.ix_(rows, cols)]


def _overlaps(
    labels: np.ndarray, mask: np.ndarray, areas: np.ndarray, min_iou: float = 0.5
) -> bool:
    """Whether a label overlaps ``mask`` with IoU >= ``min_iou``.

    ``labels`` and ``mask`` cover the same box; ``areas`` are the labels' whole
    areas in image px, so a label reaching beyond the box is not counted small.
    """
    inter = np.bincount(labels[mask].ravel(), minlength=len(areas))[: len(areas)]
    union = mask.sum() + areas - inter
    return bool((inter[1:] >= min_iou * union[1:]).any())


def with_instances(model: ParticleModel, **changes) -> ParticleModel:
    """A copy of ``model`` with some instance settings changed (validated)."""
    from temdefects.schema import parse_section, to_plain

    merged = {**to_plain(model.instances), **changes}
    return replace(model, instances=parse_section(InstanceConfig, merged, "instances"))


__all__ = [
    "ROW_KEYS",
    "ParticleModel",
    "ParticleResult",
    "analyze_particles",
    "BUILTIN_PARTICLE_MODELS",
    "default_particle_model_path",
    "load_particle_model",
    "particle_model_path",
    "pyramid_particles",
    "resample_factor",
    "with_instances",
]
