"""Writers of analysis results: JSON per frame, overlay, labelme, ImageJ ROIs, tables."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from temdefects import __version__
from temdefects.io.atomic import atomic_write_csv, atomic_write_json
from temdefects.io.images import write_png

FORMAT = "temdefects.dislocations/1"
TABLE_COLUMNS = (
    "image",
    "source",
    "frame",
    "id",
    "length_px",
    "length_nm",
    "mean_curvature_per_px",
    "max_curvature_per_px",
    "score",
    "x_start",
    "y_start",
    "x_end",
    "y_end",
)


def run_settings(options, pixel_size: float | None) -> dict:
    """The settings every frame record of a run stores (post-processing values filled in)."""
    from dataclasses import asdict

    postprocess = asdict(options.postprocess)
    if postprocess["corner_angle"] == 180.0:  # off: left out, as contrast below
        del postprocess["corner_angle"]
    return {
        **postprocess,
        "max_side": options.max_side,
        "scale": options.scale,
        "flatten": options.flatten,
        "flips": options.flips,
        "pixel_size_override_nm": pixel_size,
        # only when not the default, so that runs of earlier versions still resume
        **({"contrast": options.contrast} if options.contrast != "global" else {}),
    }


def frame_record(result, *, model: str | None, settings: dict) -> dict:
    """JSON-compatible description of one frame's dislocations."""
    ps = result.pixel_size
    return {
        "format": FORMAT,
        "temdefects_version": __version__,
        "name": result.name,
        "source": result.source,
        "frame": result.index,
        "image_shape": list(result.shape),
        "pixel_size_nm": ps,
        "resample_factor": result.factor,
        "model": model,
        "settings": settings,
        "dislocations": [
            {
                "id": d.id,
                "points": np.round(d.points, 3).tolist(),
                "length_px": round(d.length, 3),
                "length_nm": round(d.length * ps, 3) if ps else None,
                "mean_curvature_per_px": d.mean_curvature,
                "max_curvature_per_px": d.max_curvature,
                "score": round(d.score, 4),
                "channel": d.channel,
            }
            for d in result.dislocations
        ],
    }


def table_rows(result) -> list[dict]:
    """Rows of ``dislocations.csv`` for one analysed frame (from its JSON record)."""
    return record_rows(frame_record(result, model=None, settings={}))


def record_rows(record: dict) -> list[dict]:
    """Rows of ``dislocations.csv`` from a frame's JSON record.

    The table is made from the record (points rounded to 1/1000 px as stored),
    so a run resumed from the records of finished frames writes the same
    table as an uninterrupted one.
    """
    ps = record["pixel_size_nm"]
    rows = []
    for d in record["dislocations"]:
        pts = np.asarray(d["points"], float)
        rows.append(
            {
                "image": record["name"],
                "source": record["source"],
                "frame": record["frame"],
                "id": d["id"],
                "length_px": f"{d['length_px']:.3f}",
                "length_nm": f"{d['length_px'] * ps:.3f}" if ps else "",
                "mean_curvature_per_px": f"{d['mean_curvature_per_px']:.6f}",
                "max_curvature_per_px": f"{d['max_curvature_per_px']:.6f}",
                "score": f"{d['score']:.4f}",
                "x_start": f"{pts[0, 0]:.2f}",
                "y_start": f"{pts[0, 1]:.2f}",
                "x_end": f"{pts[-1, 0]:.2f}",
                "y_end": f"{pts[-1, 1]:.2f}",
            }
        )
    return rows


def finished_frame(out: Path, name: str, *, model: str | None, settings: dict) -> dict | None:
    """The record of a frame an earlier run finished with the same model and settings.

    A frame is finished when its last file (the ImageJ ROI zip) exists; its
    JSON must parse and name the same model and settings. None otherwise (the
    frame is analysed again).
    """
    if not (out / "rois" / f"{name}.zip").is_file():
        return None
    try:
        record = json.loads((out / "json" / f"{name}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("model") != model or record.get("settings") != settings:
        return None
    return record


def write_table(path: Path, rows: list[dict]) -> None:
    atomic_write_csv(path, rows, TABLE_COLUMNS)


def overlay(result) -> np.ndarray:
    """BGR overlay: each dislocation in its own colour with its id."""
    from temdefects.synth.preview import palette

    image = (np.clip(result.image, 0, 1) * 255 + 0.5).astype(np.uint8)
    out = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    scale = max(1.0, max(result.shape) / 512)
    thick = max(1, round(2 * scale))
    for d, colour in zip(result.dislocations, palette(len(result.dislocations)), strict=True):
        col = tuple(int(c) for c in colour)
        pts = np.round(d.points * 16).astype(np.int32)
        cv2.polylines(out, [pts], False, col, thick, cv2.LINE_AA, shift=4)
        x, y = d.points[len(d.points) // 2]
        org = (int(np.clip(x + 4, 0, out.shape[1] - 20)), int(np.clip(y - 4, 12, out.shape[0])))
        cv2.putText(
            out,
            str(d.id),
            org,
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45 * scale,
            (0, 0, 0),
            thick + 2,
            cv2.LINE_AA,
        )
        cv2.putText(
            out, str(d.id), org, cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale, col, thick, cv2.LINE_AA
        )
    return out


PLAIN_IMAGES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def _labelme_image(folder: Path, result) -> Path:
    """The image labelme opens: the source file itself when it is a plain single image,
    else the frame written as ``<name>.png`` beside the annotation."""
    source = Path(result.source) if result.source else None
    if (
        source is not None
        and source.suffix.lower() in PLAIN_IMAGES
        and result.index == 0
        and result.name == source.stem
        and source.is_file()
    ):
        return source.resolve()
    path = folder / f"{result.name}.png"
    write_png(path, (np.clip(result.image, 0, 1) * 255 + 0.5).astype(np.uint8))
    return path


def write_frame(out: Path, result, *, model: str | None, settings: dict) -> dict:
    """Write JSON, overlay, labelme and ROI files of one frame; returns the record."""
    from temdefects.io.imagej import write_imagej_rois
    from temdefects.io.labelme import write_labelme

    record = frame_record(result, model=model, settings=settings)
    for sub in ("json", "overlays", "labelme", "rois"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "json" / f"{result.name}.json", record)
    write_png(out / "overlays" / f"{result.name}.png", overlay(result))
    curves = [d.points for d in result.dislocations]
    write_labelme(
        out / "labelme" / f"{result.name}.json",
        curves,
        image_path=_labelme_image(out / "labelme", result),
        image_shape=result.shape,
        extra={"temdefects": {"frame": result.index, "ids": [d.id for d in result.dislocations]}},
    )
    write_imagej_rois(
        out / "rois" / f"{result.name}.zip",
        curves,
        names=[f"dislocation-{d.id:03d}" for d in result.dislocations],
    )
    return record
