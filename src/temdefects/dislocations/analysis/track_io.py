"""Reading ``analyze`` frame records for tracking and writing the tracking tables."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

from temdefects import __version__
from temdefects.dislocations.analysis.outputs import FORMAT
from temdefects.dislocations.analysis.tracking import motion
from temdefects.errors import InputFileError, TemdefectsError
from temdefects.io import jsonfile as strict_json
from temdefects.io.atomic import atomic_write_csv


def natural_key(text: str) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


class NotFrameRecord(InputFileError):
    """A JSON file that is not a frame record of ``temdefects analyze`` at all."""


def read_frame_record(path: Path) -> dict:
    """One frame record with its curves as arrays; InputFileError says what is wrong."""

    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{path.name}: not a readable JSON file ({exc})") from None
    return parse_frame_record(rec, path)


def parse_frame_record(rec, path: Path) -> dict:
    """A frame record (parsed JSON, from file ``path``) with its curves as arrays.

    Returns
    -------
    dict with ``file``, ``name``, ``index``, ``source``, ``pixel_size``,
    ``shape``, ``curves`` (list of (P, 2) x, y), ``ids``, ``lengths`` and
    ``drift`` (``(0, 0)``: records are in the frame's own coordinates).
    """
    path = Path(path)
    # A frame record names its format; older or hand-made ones at least hold a frame
    # and its dislocations (a run's summary.json holds neither).
    if (
        not isinstance(rec, dict)
        or rec.get("format", FORMAT if {"dislocations", "frame"} <= rec.keys() else None) != FORMAT
    ):
        raise NotFrameRecord(f"{path.name}: not a {FORMAT} file")
    try:
        frame, source, ps = rec["frame"], rec.get("source"), rec.get("pixel_size_nm")
        if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
            raise ValueError(f"frame must be an integer >= 0, got {frame!r}")
        if ps is not None and not (isinstance(ps, int | float) and ps > 0):
            raise ValueError(f"pixel_size_nm must be > 0 or null, got {ps!r}")
        curves, ids, lengths = [], [], []
        if not isinstance(rec["dislocations"], list):
            raise ValueError("dislocations: expected a list of curves")
        for k, d in enumerate(rec["dislocations"]):
            if not isinstance(d, dict):
                raise ValueError(f"dislocations[{k}]: expected an object with points")
            pts = np.asarray(d["points"], dtype=float)
            if pts.ndim != 2 or pts.shape[1] != 2 or not len(pts) or not np.isfinite(pts).all():
                raise ValueError(f"dislocations[{k}].points: expected finite [x, y] pairs")
            curves.append(pts)
            ids.append(d.get("id", k + 1))
            length = d.get("length_px")
            if length is not None and (
                isinstance(length, bool) or not isinstance(length, int | float)
            ):
                raise ValueError(f"dislocations[{k}].length_px must be a number or null")
            lengths.append(length)
        shape = rec.get("image_shape")
        shape = tuple(int(s) for s in shape[:2]) if shape else None
    except (KeyError, TypeError, ValueError) as exc:
        what = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
        raise InputFileError(f"{path.name}: {what}") from None
    return {
        "file": path.name,
        "name": rec.get("name", path.stem),
        "index": frame,
        "source": str(source) if source else path.name,
        "pixel_size": ps,
        "shape": shape,
        "curves": curves,
        "ids": ids,
        "lengths": lengths,
        "drift": (0.0, 0.0),
    }


def order_frames(frames: list[dict]) -> list[dict]:

    if len({f["source"] for f in frames}) > 1:
        frames = sorted(
            frames,
            key=lambda f: (
                natural_key(Path(f["source"]).name),
                natural_key(f["source"]),
                f["index"],
            ),
        )
    else:
        frames = sorted(frames, key=lambda f: f["index"])
    for a, b in zip(frames, frames[1:], strict=False):
        if (a["source"], a["index"]) == (b["source"], b["index"]):
            raise TemdefectsError(
                f"{a['file']} and {b['file']} are both frame {a['index']} of {a['source']}"
            )
    return frames


def frame_files(results: Path) -> list[Path]:

    if results.is_file():
        raise InputFileError(
            f"{results}: is a file; track reads the folder that `temdefects analyze` wrote "
            "(run `temdefects analyze` on it first)"
        )
    if not results.is_dir():
        raise InputFileError(f"{results}: no such folder")
    folder = results / "json" if (results / "json").is_dir() else results
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".json")
    if not files:
        raise InputFileError(f"{folder}: no JSON files (expected `temdefects analyze` results)")
    return files


def fmt_number(value, scale=1.0, digits: int = 3) -> str:

    if value is None or scale is None or not math.isfinite(value):
        return ""
    return f"{value * scale:.{digits}f}"


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    atomic_write_csv(path, rows, columns)


def track_rows(result, frames: list[dict]) -> list[dict]:

    rows = []
    for m in motion(result):
        fr = frames[m.frame]
        ps, length = fr["pixel_size"], fr["lengths"][m.index]
        rows.append(
            {
                "track": m.track,
                "frame": m.frame,
                "source": fr["source"],
                "source_frame": fr["index"],
                "dislocation_id": fr["ids"][m.index],
                "x_px": fmt_number(m.x),
                "y_px": fmt_number(m.y),
                "dx_px": fmt_number(m.dx),
                "dy_px": fmt_number(m.dy),
                "displacement_px": fmt_number(m.displacement),
                "velocity_px_per_frame": fmt_number(m.velocity),
                "normal_velocity_px_per_frame": fmt_number(m.normal_velocity),
                "length_px": fmt_number(length),
                "x_nm": fmt_number(m.x, ps),
                "y_nm": fmt_number(m.y, ps),
                "displacement_nm": fmt_number(m.displacement, ps),
                "velocity_nm_per_frame": fmt_number(m.velocity, ps),
                "normal_velocity_nm_per_frame": fmt_number(m.normal_velocity, ps),
                "length_nm": fmt_number(length, ps),
                "drift_x_px": fmt_number(fr["drift"][0]),
                "drift_y_px": fmt_number(fr["drift"][1]),
                "x_raw_px": fmt_number(m.x + fr["drift"][0]),
                "y_raw_px": fmt_number(m.y + fr["drift"][1]),
            }
        )
    return rows


def tracks_json(result, frames: list[dict]) -> str:

    return (
        strict_json.dumps(
            {
                "format": "temdefects.tracks/1",
                "temdefects_version": __version__,
                "settings": {
                    "max_distance": result.max_distance,
                    "max_gap": result.max_gap,
                    "min_track_length": result.min_track_length,
                },
                "frames": [
                    {
                        "frame": k,
                        "file": f["file"],
                        "name": f["name"],
                        "source": f["source"],
                        "source_frame": f["index"],
                        "pixel_size_nm": f["pixel_size"],
                        "image_shape": f["shape"],
                        "drift_px": [round(float(v), 3) for v in f["drift"]],
                    }
                    for k, f in enumerate(frames)
                ],
                "tracks": [
                    {
                        "id": t.id,
                        "observations": [
                            {
                                "frame": int(fr),
                                "dislocation_id": frames[fr]["ids"][i],
                                "points": [[round(float(v), 3) for v in p] for p in c],
                            }
                            for fr, i, c in zip(t.frames, t.indices, t.curves, strict=True)
                        ],
                    }
                    for t in result.tracks
                ],
            },
            separators=(",", ":"),
        )
        + "\n"
    )
