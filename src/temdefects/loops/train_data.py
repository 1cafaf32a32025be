"""Training images of the loop detector: generated folders, real images with boxes, crops.

Every image is held in memory at the detector's working scale (longer side
``input_size``) as uint8 with its boxes as ``x0, y0, x1, y1`` in that scale's
px and 1-based class labels (0 is torchvision's background).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from temdefects.errors import InputFileError
from temdefects.loops.detector import detector_input, resize_factor
from temdefects.loops.groundtruth import (
    IMAGE_SUFFIXES,
    detect_truth_format,
    image_shapes,
    read_truth,
)
from temdefects.loops.unlabelled import IGNORE_LABEL, dark_blobs, dark_candidates, pseudo_labels

__all__ = [
    "BoxImage",
    "image_stems",
    "crop_sample",
    "load_box_images",
    "load_synth_folder",
    "read_name_list",
    "stem_of",
    "transform_boxes",
]


@dataclass(frozen=True, eq=False)
class BoxImage:
    """One training image at working scale."""

    name: str
    image: np.ndarray  # (H, W) uint8
    boxes: np.ndarray  # (N, 4) float32, x0 y0 x1 y1
    labels: np.ndarray  # (N,) int64, 1-based into the detector's classes
    factor: float  # working px per original px
    #: (M, 4) float32, x0 y0 x1 y1: regions that may hold an unlabelled defect
    #: (:mod:`temdefects.loops.unlabelled`); training neither rewards nor
    #: penalises boxes there.
    ignore: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))


def _read_grey(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise InputFileError(f"{path}: cannot read the image")
    return image


def _to_work(image: np.ndarray, input_size: int) -> tuple[np.ndarray, float]:
    f = resize_factor(image.shape, input_size)
    if abs(f - 1.0) < 1e-9:
        return image, 1.0
    h, w = (max(8, round(s * f)) for s in image.shape)
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, (w, h), interpolation=interp), w / image.shape[1]


def load_synth_folder(
    folder: str | Path, classes: Sequence[str], input_size: int, *, limit: int | None = None
) -> list[BoxImage]:
    """Images and boxes of a folder written by ``temdefects loops synth`` (its labels.csv).

    Raises
    ------
    InputFileError
        When the folder has no ``labels.csv`` or an image is unreadable.
    """
    folder = Path(folder)
    table = folder / "labels.csv"
    if not table.is_file():
        raise InputFileError(f"{folder}: no labels.csv (not a `temdefects loops synth` folder)")
    rows: dict[str, list] = {}
    with open(table, newline="") as fh:
        for row in csv.DictReader(fh):
            rows.setdefault(row["image"], []).append(row)
    names = sorted(p.stem for p in folder.glob("*.png") if p.stem.isdigit())
    if limit is not None:
        names = names[:limit]
    if not names:
        raise InputFileError(f"{folder}: no generated images")
    index = {c: i + 1 for i, c in enumerate(classes)}
    out = []
    for name in names:
        image, f = _to_work(_read_grey(folder / f"{name}.png"), input_size)
        boxes, labels = [], []
        for r in rows.get(name, []):
            if r["class"] not in index:
                continue
            bx, by, w, h = (float(r[k]) for k in ("bx", "by", "width", "height"))
            boxes.append([bx * f, by * f, (bx + w) * f, (by + h) * f])
            labels.append(index[r["class"]])
        out.append(_item(name, image, boxes, labels, f))
    return out


def _item(name, image, boxes, labels, f) -> BoxImage:
    return BoxImage(
        name=name,
        image=np.ascontiguousarray(image),
        boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
        labels=np.asarray(labels, np.int64),
        factor=float(f),
    )


def read_name_list(path: str | Path) -> list[str]:
    """Non-empty lines of a split file (``testimages.txt``), stripped."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such split file")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def stem_of(name: str) -> str:
    """``a.jpg`` -> ``a``; a name without an image suffix is kept whole."""
    p = Path(name)
    return p.stem if p.suffix.lower() in IMAGE_SUFFIXES else name


def image_stems(images: str | Path, *, exclude: Sequence[str] = ()) -> list[str]:
    """Stems of the images in a folder, minus ``exclude`` (names or stems), sorted."""
    images = Path(images)
    if not images.is_dir():
        raise InputFileError(f"{images}: no such folder")
    skip = {stem_of(n) for n in exclude}
    return sorted(
        p.stem
        for p in images.iterdir()
        if p.suffix.lower() in IMAGE_SUFFIXES and p.stem not in skip
    )


def load_box_images(
    images: str | Path,
    truth: str | Path,
    names: Sequence[str],
    *,
    classes: Sequence[str],
    input_size: int,
    cls: str = "loop111",
    fmt: str = "boxes",
    unlabelled: str = "negative",
) -> list[BoxImage]:
    """Real images with hand-labelled ground truth, by name or stem.

    ``truth`` is read by :func:`temdefects.loops.groundtruth.read_truth` in
    format ``fmt`` (``boxes``: ``ymin xmin ymax xmax`` files of Li et al.
    2018; ``coco``, ``yolo``, ``imagej``, ``auto``); single-class labels and
    class names outside ``classes`` become ``cls``. Names without an image or
    labels are skipped (the Li et al. set has a few of each); an unreadable
    file is an error. ``unlabelled="ignore-dark"`` marks the image's compact
    dark blobs (:func:`~temdefects.loops.unlabelled.dark_candidates`) as ignore
    regions: labels that name one class leave the defects of the others unboxed.
    ``unlabelled="label-dark"`` names the solid ones by shape instead
    (:func:`~temdefects.loops.unlabelled.pseudo_labels`: dots and <100>
    loops) and ignores the rest.
    """
    import json

    images, truth = Path(images), Path(truth)
    if not images.is_dir():
        raise InputFileError(f"{images}: no such folder")
    files = {p.stem: p for p in images.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    fmt = detect_truth_format(truth) if fmt == "auto" else fmt
    shapes = image_shapes(images) if fmt == "yolo" else {}
    class_map = None
    if fmt == "coco":
        doc = truth if truth.is_file() else truth / "annotations.json"
        try:
            names_in = {c["name"] for c in json.loads(doc.read_text())["categories"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputFileError(f"{doc}: cannot read COCO categories ({exc})") from None
        class_map = {n: cls for n in names_in if n not in classes}
    labels = read_truth(
        truth, format=fmt, shapes=shapes, cls=cls, classes=(cls,), class_map=class_map
    ).defects
    index = {c: i + 1 for i, c in enumerate(classes)}
    out = []
    for name in names:
        stem = stem_of(name)
        if stem not in files or stem not in labels:
            continue
        image, f = _to_work(_read_grey(files[stem]), input_size)
        d = labels[stem]
        b = d.boxes
        xyxy = np.stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]], 1) * f
        item = _item(stem, image, xyxy, [index.get(c, index[cls]) for c in d.classes], f)
        if unlabelled == "ignore-dark":
            item = replace(item, ignore=dark_candidates(image))
        elif unlabelled == "label-dark":
            item = _with_pseudo_labels(item, index)
        out.append(item)
    return out


def _with_pseudo_labels(item: BoxImage, index: dict) -> BoxImage:
    """``item`` with its solid unboxed blobs labelled by shape, its rings ignored."""
    boxes, classes, ignore = pseudo_labels(*dark_blobs(item.image), item.boxes)
    keep = [i for i, c in enumerate(classes) if c in index]
    return replace(
        item,
        boxes=np.concatenate([item.boxes, boxes[keep]]).astype(np.float32),
        labels=np.concatenate([item.labels, [index[classes[i]] for i in keep]]).astype(np.int64),
        ignore=ignore.astype(np.float32),
    )


def transform_boxes(boxes: np.ndarray, size: int, k: int, flip: bool) -> np.ndarray:
    """Boxes of a ``size x size`` crop after ``np.rot90(crop, k)`` then a left-right flip.

    Examples
    --------
    >>> transform_boxes(np.array([[1., 2., 3., 5.]]), 10, 1, False).tolist()
    [[2.0, 7.0, 5.0, 9.0]]
    """
    b = boxes.astype(np.float32).copy()
    for _ in range(k % 4):  # (x, y) -> (y, size - x): counter-clockwise as np.rot90
        b = np.stack([b[:, 1], size - b[:, 2], b[:, 3], size - b[:, 0]], 1)
    if flip:
        b = np.stack([size - b[:, 2], b[:, 1], size - b[:, 0], b[:, 3]], 1)
    return b.reshape(-1, 4)


def crop_sample(
    item: BoxImage,
    crop: int,
    rng: np.random.Generator,
    *,
    channels: str = "raw-clahe-blur",
    min_visible: float = 0.5,
    zoom: tuple[float, float] = (1.0, 1.0),
    invert: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A random augmented square crop: ``(3, crop, crop)`` input, boxes, labels.

    With ``zoom`` other than ``(1, 1)`` a magnification ``z`` is drawn
    log-uniformly from it and a window of ``crop / z`` px is resampled to
    ``crop`` (defects ``z`` times larger); with ``invert`` > 0 that share of
    crops is inverted (bright defects, as in HAADF-STEM). Neither draws when
    off, so older runs replay. The window is padded with the image's median
    when the image is smaller; a box is kept when at least ``min_visible`` of
    its area lies inside (and then clipped) and it is at least 1.5 px wide
    and high after resampling. The item's ignore regions come back as rows
    labelled :data:`~temdefects.loops.unlabelled.IGNORE_LABEL` after its
    defects. Then a random rotation by a multiple of 90
    degrees, a random flip and a random gamma in [0.7, 1.4].
    """
    img = item.image
    z = 1.0
    if zoom[0] != 1.0 or zoom[1] != 1.0:
        z = float(np.exp(rng.uniform(np.log(zoom[0]), np.log(zoom[1]))))
    win = max(8, int(round(crop / z)))
    h, w = img.shape
    if h < win or w < win:
        pad = np.full((max(h, win), max(w, win)), np.median(img), img.dtype)
        pad[:h, :w] = img
        img, (h, w) = pad, pad.shape
    y0 = int(rng.integers(0, h - win + 1))
    x0 = int(rng.integers(0, w - win + 1))
    patch = img[y0 : y0 + win, x0 : x0 + win]
    all_boxes, all_labels = item.boxes, item.labels
    if len(item.ignore):  # ignore regions travel as label -1 rows after the defects
        all_boxes = np.concatenate([item.boxes, item.ignore]).astype(np.float32)
        all_labels = np.concatenate([item.labels, np.full(len(item.ignore), IGNORE_LABEL)])
    b = all_boxes - np.array([x0, y0, x0, y0], np.float32)
    c = np.clip(b, 0, win)
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    if win != crop:
        s = np.float32(crop / win)
        interp = cv2.INTER_AREA if win > crop else cv2.INTER_LINEAR
        patch = cv2.resize(np.ascontiguousarray(patch), (crop, crop), interpolation=interp)
        b, c, area = b * s, c * s, area * s * s
    inside = (c[:, 2] - c[:, 0]) * (c[:, 3] - c[:, 1])
    keep = (
        (inside >= min_visible * np.maximum(area, 1e-6))
        & (c[:, 2] - c[:, 0] >= 1.5)
        & (c[:, 3] - c[:, 1] >= 1.5)
    )
    k, flip = int(rng.integers(0, 4)), bool(rng.integers(0, 2))
    patch = np.rot90(patch, k)
    if flip:
        patch = patch[:, ::-1]
    gamma = float(np.exp(rng.uniform(np.log(0.7), np.log(1.4))))
    lut = (255.0 * (np.arange(256) / 255.0) ** gamma + 0.5).astype(np.uint8)
    if invert > 0 and rng.random() < invert:
        lut = lut[::-1].copy()
    patch = lut[np.ascontiguousarray(patch)]
    boxes = transform_boxes(c[keep], crop, k, flip)
    return detector_input(patch, channels), boxes, all_labels[keep].astype(np.int64)
