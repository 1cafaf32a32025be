"""Files of the loop generator: per-image files and the run-level label tables.

Per image, sharing its zero-padded index as stem:

``000000.png``   the image (uint8 greyscale)
``000000.npz``   the (K, H, W) instance masks, bit-packed as in
                 :func:`temdefects.synth.files.encode_masks`
``000000.json``  the record: format, version, seed, index, configuration,
                 scene and labels; written last, so it marks a complete image

Per run (:mod:`temdefects.synth.loops.dataset`): ``annotations.json`` (COCO)
and ``labels.csv``. Everything is written atomically and deterministically, so
replaying a record reproduces the image byte for byte.

Coordinates: labels and ``labels.csv`` put pixel centres at integers
(``x`` = column, ``y`` = row). The COCO file uses COCO's continuous
coordinates, where pixel ``(r, c)`` covers ``[c, c + 1) x [r, r + 1)``: boxes
keep the same numbers (first column and row, size in whole pixels), polygon
vertices and ellipse centres are shifted by +0.5.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from temdefects import __version__
from temdefects.errors import InputFileError
from temdefects.io.images import encode_png
from temdefects.synth.files import (
    encode_masks,
    read_generator_record,
    read_masks,
    read_sample_record,
    record_head,
    software_versions,
    stem,
    write_sample_files,
)
from temdefects.synth.loops.config import CLASSES
from temdefects.synth.loops.render import LoopSample, render_loop_scene

RECORD_FORMAT = "temdefects.synth.loops.record/1"
CATEGORY_IDS = {name: i + 1 for i, name in enumerate(CLASSES)}
CSV_HEADER = "image,class,x,y,major,minor,angle,bx,by,width,height\n"


def make_loop_record(
    sample: LoopSample, *, index: int, seed: int | None, config: dict | None, digits: int = 6
) -> dict:
    """The JSON record of a sample (see the module docstring)."""
    name = stem(index, digits)
    return {
        **record_head(RECORD_FORMAT, index, seed),
        "files": {"image": f"{name}.png", "masks": f"{name}.npz"},
        "config": config,
        "scene": sample.scene,
        "labels": sample.labels,
        "software": software_versions(),
    }


def write_loop_sample(folder: str | os.PathLike, sample: LoopSample, record: dict) -> Path:
    """Write image, masks and (last) the record into ``folder``; returns the record path."""
    return write_sample_files(
        folder, record, {"image": encode_png(sample.image), "masks": encode_masks(sample.masks)}
    )


def read_loop_record(path: str | os.PathLike) -> dict:
    """Load and check a record JSON.

    Raises
    ------
    InputFileError
        When the file is missing, unreadable or of another format.
    """
    return read_generator_record(path, RECORD_FORMAT, "temdefects synthetic loop-image record")


def read_loop_sample(folder: str | os.PathLike, index: int | str) -> LoopSample:
    """Image, labels, masks and scene of one generated image."""
    folder, record, image = read_sample_record(folder, index, read_loop_record)
    files = record["files"]
    masks = read_masks(folder / files["masks"])
    if masks.shape[1:] != image.shape or masks.shape[0] != len(record["labels"]):
        raise InputFileError(f"{folder / files['masks']}: masks do not match image and labels")
    return LoopSample(image=image, labels=record["labels"], masks=masks, scene=record["scene"])


def replay_loop_record(
    record: dict | str | os.PathLike, *, backgrounds: str | os.PathLike | None = None
) -> LoopSample:
    """Render a record's scene again (identical image, labels and masks)."""
    if not isinstance(record, dict):
        record = read_loop_record(record)
    if backgrounds is None and record.get("config"):
        backgrounds = record["config"]["background"]["real"]["dir"]
    return render_loop_scene(record["scene"], backgrounds=backgrounds)


def mask_polygons(mask: np.ndarray, box: list) -> list[list[float]]:
    """COCO polygons (continuous coordinates) of the outer contours of a mask.

    Contours run through the centres of the boundary pixels; one of fewer than
    three points (a mask one or two pixels thin) becomes the outline of its
    pixels' extent instead, so every polygon has at least three vertices.
    """
    x, y, w, h = box
    crop = np.ascontiguousarray(mask[y : y + h, x : x + w], dtype=np.uint8)
    contours, _ = cv2.findContours(crop, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polygons = []
    for c in contours:
        pts = c.reshape(-1, 2).astype(np.float64) + [x, y]
        if len(pts) >= 3:
            poly = pts + 0.5
        else:
            (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0) + 1.0
            poly = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        polygons.append([round(float(v), 2) for v in poly.ravel()])
    return polygons


def coco_entries(sample: LoopSample) -> list[dict]:
    """COCO annotation bodies of one sample (ids are assigned by :func:`coco_document`)."""
    entries = []
    for label in sample.labels:
        mask = sample.masks[label["mask"]]
        cx, cy, major, minor, angle = label["ellipse"]
        entries.append(
            {
                "category_id": CATEGORY_IDS[label["class"]],
                "bbox": [int(v) for v in label["box"]],
                "area": int(np.count_nonzero(mask)),
                "iscrowd": 0,
                "segmentation": mask_polygons(mask, label["box"]),
                "ellipse": [cx + 0.5, cy + 0.5, major, minor, angle],
                "style": label["style"],
                "mask_index": int(label["mask"]),
            }
        )
    return entries


def coco_document(images: list[tuple[int, str, tuple[int, int], list]]) -> dict:
    """A COCO detection document of a run.

    Parameters
    ----------
    images
        ``(index, file_name, (height, width), entries)`` per image, entries from
        :func:`coco_entries`. Image ids are ``index + 1``; annotation ids count
        from 1 in image order.
    """
    doc_images, annotations = [], []
    for index, file_name, (h, w), entries in sorted(images, key=lambda t: t[0]):
        doc_images.append({"id": index + 1, "file_name": file_name, "height": h, "width": w})
        for entry in entries:
            annotations.append({"id": len(annotations) + 1, "image_id": index + 1, **entry})
    return {
        "info": {
            "description": "temdefects synthetic dislocation loops (Shen et al. 2021 classes)",
            "version": __version__,
            "coordinates": "COCO continuous: pixel (r, c) covers [c, c+1) x [r, r+1); "
            "ellipse = [cx, cy, major, minor, angle_deg], angle from x towards y",
        },
        "images": doc_images,
        "annotations": annotations,
        "categories": [
            {"id": i, "name": name, "supercategory": "defect"} for name, i in CATEGORY_IDS.items()
        ],
    }


def csv_rows(name: str, labels: list) -> str:
    """``labels.csv`` rows of one image (no header; see :data:`CSV_HEADER`)."""
    rows = []
    for lab in labels:
        cx, cy, major, minor, angle = lab["ellipse"]
        bx, by, bw, bh = lab["box"]
        rows.append(
            f"{name},{lab['class']},{cx:.3f},{cy:.3f},{major:.3f},{minor:.3f},{angle:.3f},"
            f"{bx},{by},{bw},{bh}\n"
        )
    return "".join(rows)
