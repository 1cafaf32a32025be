"""napari reader: temdefects output folders as layers over their images.

Returns napari layer-data tuples ``(data, metadata, layer_type)``; no napari
import is needed to build them. Coordinates: napari's are ``(row, column)``
(``(frame, row, column)`` for a stack); temdefects' curves are ``(x, y)``.

* ``analyze`` (a ``json/`` folder of frame records) and ``track`` (its
  ``analysis/json``): the frames, and every dislocation as an editable path
  with ``id`` (and ``track`` when tracked) properties;
* ``loops detect`` (``summary.json`` of format ``temdefects.loops.detection/1``):
  each image and its defects as ellipses coloured by class;
* ``particles analyze`` (``<name>_labels.tif``): each image and its labels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from temdefects.errors import InputFileError

__all__ = ["get_reader", "read_results"]

LOOP_COLOURS = {"loop111": "red", "loop100": "yellow", "dot": "blue"}
#: Colours cycled over dislocation (or track) ids.
PALETTE = [
    "#e6194b",
    "#3cb44b",
    "#ffe119",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#46f0f0",
    "#f032e6",
    "#bcf60c",
    "#fabebe",
    "#008080",
    "#e6beff",
    "#9a6324",
    "#aaffc3",
]


def _json(path: Path) -> dict | None:
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _kind(folder: Path) -> str | None:
    if not folder.is_dir():
        return None
    if (folder / "analysis" / "json").is_dir() and (folder / "tracks.json").is_file():
        return "track"
    if (folder / "json").is_dir():
        return "analyze"
    summary = _json(folder / "summary.json") or {}
    fmt = summary.get("format", "")
    if fmt.startswith("temdefects.loops.detection"):
        return "loops"
    if fmt.startswith("temdefects.particles.analysis"):
        return "particles"
    return None


def get_reader(path):
    """The reader for ``path`` when it is a temdefects output folder, else None."""
    if isinstance(path, list):
        path = path[0] if len(path) == 1 else None
    if path is None:
        return None
    return read_results if _kind(Path(path)) else None


def _frame_image(source: str, index: int) -> np.ndarray | None:
    from temdefects.io.frames import iter_frames

    try:
        for frame in iter_frames(source):
            if frame.index == index:
                return frame.image
    except (InputFileError, OSError, ValueError):
        return None
    return None


def _source(source: str, folder: Path) -> str:
    """``source`` as written, or, when it is relative and not found from here, from
    the nearest folder above the results where it exists (the folder the analysis
    was run from)."""
    path = Path(source)
    if not source or path.is_absolute() or path.exists():
        return source
    for base in folder.resolve().parents:
        if (base / path).exists():
            return str(base / path)
    return source


def _frames(records: list[dict], tracks: dict | None, folder: Path) -> list:
    """Image layer(s) and one Shapes layer of paths for a list of frame records.

    Several frames make a stack: each path gets the frame as its first
    coordinate, so the viewer shows one frame's curves at a time.
    """
    images = [
        _frame_image(_source(r.get("source", ""), folder), int(r.get("frame", 0))) for r in records
    ]
    shapes, ids, frames, track_ids = [], [], [], []
    many = len(records) > 1
    stacked = (
        many and all(im is not None for im in images) and len({im.shape for im in images}) == 1
    )
    for k, rec in enumerate(records):
        for d in rec.get("dislocations", []):
            yx = np.asarray(d["points"], float)[:, ::-1]
            shapes.append(np.column_stack([np.full(len(yx), k), yx]) if many else yx)
            ids.append(int(d.get("id", len(ids) + 1)))
            frames.append(k)
            if tracks is not None:
                track_ids.append(tracks.get((k, ids[-1]), 0))
    layers = []
    if stacked:
        layers.append((np.stack(images), {"name": "frames"}, "image"))
    else:
        for rec, im in zip(records, images, strict=True):
            if im is not None:
                layers.append((im, {"name": rec.get("name", "frame")}, "image"))
    props = {"id": np.array(ids, int), "frame": np.array(frames, int)}
    if tracks is not None:
        props["track"] = np.array(track_ids, int)
    # colour by id (or track) as a category: one colour per dislocation
    props["colour"] = np.array([str(v) for v in (track_ids if tracks is not None else ids)])
    layers.append(
        (
            shapes,
            {
                "name": "dislocations",
                "shape_type": "path",
                "edge_width": 2,
                "edge_color": "colour",
                "edge_color_cycle": PALETTE,
                "properties": props,
            },
            "shapes",
        )
    )
    return layers


def _records(folder: Path) -> list[dict]:
    from temdefects.dislocations.analysis.track_io import natural_key

    recs = [r for p in sorted((folder / "json").glob("*.json")) if (r := _json(p))]
    return sorted(recs, key=lambda r: (natural_key(str(r.get("source", ""))), r.get("frame", 0)))


def _track_index(folder: Path) -> dict:
    """(frame, dislocation id) -> track id, from ``tracks.json``."""
    doc = _json(folder / "tracks.json") or {}
    out = {}
    for t in doc.get("tracks", []):
        for ob in t.get("observations", []):
            out[(int(ob["frame"]), int(ob["dislocation_id"]))] = int(t["id"])
    return out


def ellipse_corners(ellipse) -> np.ndarray:
    """The four ``(row, column)`` corners of an ellipse ``x, y, major, minor, angle`` for napari."""
    x, y, major, minor, angle = (float(v) for v in ellipse)
    t = np.radians(angle)
    u = np.array([np.cos(t), np.sin(t)]) * major / 2.0
    v = np.array([-np.sin(t), np.cos(t)]) * minor / 2.0
    c = np.array([x, y])
    xy = np.array([c - u - v, c + u - v, c + u + v, c - u + v])
    return xy[:, ::-1]


def _loops(folder: Path) -> list:
    from temdefects.loops.table import read_detections

    summary = _json(folder / "summary.json") or {}
    layers = []
    for entry in summary.get("inputs", []):
        for item in entry.get("images", []):
            name = item.get("name")
            table = folder / f"{name}.csv"
            if not name or not table.is_file():
                continue
            image = _frame_image(entry.get("input", ""), int(item.get("frame", 0)))
            if image is not None:
                layers.append((image, {"name": name}, "image"))
            d = read_detections(table)
            boxes = d.boxes
            ells = [
                e if np.isfinite(e).all() else (b[0] + b[2] / 2, b[1] + b[3] / 2, b[2], b[3], 0.0)
                for e, b in zip(d.ellipses, boxes, strict=True)
            ]
            layers.append(
                (
                    [ellipse_corners(e) for e in ells],
                    {
                        "name": f"{name} defects",
                        "shape_type": "ellipse",
                        "edge_width": 2,
                        "face_color": "transparent",
                        "edge_color": [LOOP_COLOURS.get(c, "white") for c in d.classes],
                        "properties": {"class": np.array(d.classes), "score": d.scores},
                    },
                    "shapes",
                )
            )
    return layers


def _particles(folder: Path) -> list:
    import tifffile

    summary = _json(folder / "summary.json") or {}
    sources = {}
    for entry in summary.get("inputs", []):
        for item in entry.get("images", []) if isinstance(entry.get("images"), list) else []:
            sources[item.get("name")] = (entry.get("input", ""), int(item.get("frame", 0)))
    layers = []
    for path in sorted(folder.glob("*_labels.tif")):
        name = path.name[: -len("_labels.tif")]
        if name in sources:
            image = _frame_image(*sources[name])
            if image is not None:
                layers.append((image, {"name": name}, "image"))
        layers.append((tifffile.imread(path), {"name": f"{name} particles"}, "labels"))
    return layers


def read_results(path) -> list:
    """Layer-data tuples of a temdefects output folder (see the module docstring).

    Raises
    ------
    InputFileError
        When ``path`` is not such a folder.
    """
    if isinstance(path, list):
        path = path[0]
    folder = Path(path)
    kind = _kind(folder)
    if kind == "analyze":
        return _frames(_records(folder), None, folder)
    if kind == "track":
        return _frames(_records(folder / "analysis"), _track_index(folder), folder / "analysis")
    if kind == "loops":
        return _loops(folder)
    if kind == "particles":
        return _particles(folder)
    raise InputFileError(f"{folder}: not a temdefects output folder")
