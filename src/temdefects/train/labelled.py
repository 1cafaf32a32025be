"""Hand-labelled real frames as a training/evaluation folder.

Writes the generated-dataset layout (``000000.png`` 8-bit image,
``000000.npz`` masks, ``000000.csv`` centre lines, ``000000.json`` record with
``scene: null`` and the label sources), so fine-tuning and evaluation read real
labels exactly like synthetic ones. Labels are either labelme annotations (line
strips, lines, polygons; one mask per shape) or stroke images with one stroke
per dislocation (one mask per connected stroke), redrawn ``width`` px wide
around their centre lines like the synthetic masks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from temdefects.errors import InputFileError
from temdefects.synth.dislocations.files import (
    RECORD_FORMAT,
    read_record,
    sample_files,
    write_sample,
)
from temdefects.synth.dislocations.scene import Sample
from temdefects.synth.files import list_samples, record_head, stem


@dataclass
class ConversionReport:
    written: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)
    dislocations: int = 0


def _grey_u8(
    image: np.ndarray, flatten: float = 0.0, contrast: str = "global", scale: float = 1.0
) -> np.ndarray:
    """The frame as 8-bit grey, flattened and resampled as ``analyze`` feeds it."""
    from temdefects.dislocations.analysis.pipeline import model_input, resampled

    work = resampled(model_input(image, flatten, contrast)[1], scale)
    return (work * 255 + 0.5).astype(np.uint8)


def _read_image(path: Path) -> np.ndarray:
    from temdefects.io.frames import iter_frames

    return next(iter(iter_frames(path))).image


def _centre_lines(masks: np.ndarray) -> list:
    from temdefects.geometry import longest_path, skeletonize_mask

    lines = []
    for m in masks:
        path = longest_path(skeletonize_mask(m))
        lines.append([path] if len(path) >= 2 else [])
    return lines


def snapped(image: np.ndarray, masks: np.ndarray, snap: int) -> np.ndarray:
    """``masks`` moved onto the dark lines of ``image`` by at most ``snap`` px (0: as drawn).

    See :mod:`temdefects.geometry.snapping`.
    """
    if not snap or len(masks) == 0:
        return masks
    from temdefects.geometry.snapping import snap_masks

    return snap_masks(image, masks, max_shift=int(snap)).masks


def from_labelme(path: Path, *, width: float, labels: set | None, snap: int = 0):
    """Image and masks of one labelme file (image found via its ``imagePath``).

    ``snap`` (px) moves each labelled line onto the dark line it marks
    (:func:`snapped`).
    """
    from temdefects.io.labelme import labelme_to_masks, read_labelme

    doc = read_labelme(path)
    if doc.image_path is None:
        raise InputFileError(f"{path}: labelme file names no image (imagePath)")
    image_path = doc.image_path  # read_labelme resolved it against the file's folder
    image = _read_image(image_path)
    masks = labelme_to_masks(doc, shape=image.shape, width=width, labels=labels)
    sources = {"labels": str(path.resolve()), "image": str(image_path.resolve()), "snap": snap}
    return image, snapped(image, masks, snap), sources


def from_strokes(
    path: Path, images: Path, *, width: float, dark: bool, min_size: int, snap: int = 0
):
    """Image and masks of a stroke label image and the micrograph with its stem.

    ``snap`` (px) moves each stroke onto the dark line it marks (:func:`snapped`).
    """
    from temdefects.io.images import RASTER_SUFFIXES
    from temdefects.io.labels import strokes_to_masks

    matches = [
        p
        for p in images.iterdir()
        if p.stem.lower() == path.stem.lower() and p.suffix.lower() in RASTER_SUFFIXES
    ]
    if not matches:
        raise InputFileError(f"{path}: no image with this stem in {images}")
    image = _read_image(matches[0])
    label = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if label is None:
        raise InputFileError(f"{path}: cannot read label image")
    if label.shape != image.shape:
        raise InputFileError(f"{path}: label shape {label.shape} differs from image {image.shape}")
    masks = strokes_to_masks(label, dark=dark, min_size=min_size, width=int(round(width)))
    sources = {"labels": str(path.resolve()), "image": str(matches[0].resolve()), "snap": snap}
    return image, snapped(image, masks, snap), sources


def write_labelled(
    out: str | os.PathLike,
    items: list,
    loader,
    *,
    flatten: float = 0.0,
    contrast: str = "global",
    scale: float = 1.0,
) -> ConversionReport:
    """Convert ``items`` with ``loader(item) -> (image, masks, sources)`` into ``out``.

    ``flatten`` (px) writes the frames background-flattened as ``temdefects
    analyze --flatten`` feeds them to the model, so that a model fine-tuned on
    them sees at training what it sees at analysis (0: the frames as they are);
    ``contrast`` likewise (:func:`temdefects.dislocations.analysis.pipeline.flatten_background`).
    ``scale`` resamples frame and masks (after flattening, as ``analyze --scale``
    does), so that lines a few px apart reach the network further apart.
    """
    from temdefects.dislocations.analysis.pipeline import resampled, resampled_shape

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = ConversionReport()
    index = 0
    for item in items:
        try:
            image, masks, sources = loader(item)
        except InputFileError as exc:
            report.failed[str(item)] = str(exc)
            continue
        masks = np.asarray(masks, bool)
        if scale != 1.0:
            shape = resampled_shape(np.shape(image), scale)
            masks = np.array([resampled(m, scale) for m in masks], bool).reshape(-1, *shape)
        sample = Sample(
            image=_grey_u8(image, flatten, contrast, scale),
            masks=masks,
            lines=_centre_lines(masks),
            scene=None,
        )
        record = {
            **record_head(RECORD_FORMAT, index, None),
            "n_dislocations": int(len(masks)),
            "files": sample_files(stem(index)),
            "backgrounds": None,
            "config": None,
            "scene": None,
            "labelled": {
                **sources,
                "flatten": flatten,
                **({"contrast": contrast} if contrast != "global" else {}),
                **({"scale": scale} if scale != 1.0 else {}),
            },
        }
        write_sample(out, sample, record)
        report.written.append(str(item))
        report.dislocations += len(masks)
        index += 1
    return report


def convert_labels(
    inputs: list,
    out: str | os.PathLike,
    *,
    images: str | os.PathLike | None = None,
    width: float = 5.0,
    dark: bool = False,
    min_size: int = 10,
    labels: set | None = None,
    flatten: float = 0.0,
    contrast: str = "global",
    snap: int = 0,
    scale: float = 1.0,
) -> ConversionReport:
    """Hand labels (labelme JSON files, stroke images, folders or patterns) -> ``out``.

    Stroke images need ``images``, the folder of micrographs matched by file
    stem. A label that cannot be read is reported in the result's ``failed``
    and the others are written.

    Raises
    ------
    InputFileError
        An input names nothing readable, or ``images`` is not a folder.
    ValueError
        Stroke images without ``images``, or a nonsense option.
    """
    from temdefects.io.images import RASTER_SUFFIXES
    from temdefects.io.paths import expand_paths

    if not width > 0:
        raise ValueError(f"width: must be > 0, got {width}")
    if int(snap) != snap or snap < 0:
        raise ValueError(f"snap: must be a whole number of px >= 0, got {snap}")
    if not 0.25 <= scale <= 8:
        raise ValueError(f"scale: must be in [0.25, 8], got {scale}")
    items = expand_paths(inputs, (".json",) + RASTER_SUFFIXES, what="label")
    json_items = [p for p in items if p.suffix.lower() == ".json"]
    image_items = [p for p in items if p.suffix.lower() != ".json"]
    if image_items and not images:
        raise ValueError("images: stroke label images need the folder of micrographs")
    if images is not None and not Path(images).is_dir():
        raise InputFileError(f"{images}: image folder not found")

    def load(item: Path):
        if item.suffix.lower() == ".json":
            return from_labelme(item, width=width, labels=labels, snap=snap)
        return from_strokes(
            item, Path(images), width=width, dark=dark, min_size=min_size, snap=snap
        )

    return write_labelled(
        out, json_items + image_items, load, flatten=flatten, contrast=contrast, scale=scale
    )


def training_input(config) -> dict:
    """How the network saw its training frames, for ``analyze`` to feed new ones alike.

    Generated frames are used as drawn (``flatten = 0``). Labelled frames
    (``labelme-to-masks``, ``adapt``) carry their flattening, contrast and scale
    in their records; the first record of the folder tells.
    """
    entry = {}
    if config.data.source == "folder":
        names = list_samples(config.data.folder)
        if names:
            entry = read_record(Path(config.data.folder) / f"{names[0]}.json").get("labelled") or {}
    keys = ("flatten", "contrast", "scale")
    return {"flatten": 0.0, **{k: entry[k] for k in keys if entry.get(k) is not None}}
