"""``temdefects track``: follow dislocations over the frames of ``analyze`` results."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from temdefects.cli.common import non_negative_int, positive_int

HELP = "follow dislocations over video frames: ids, velocities, pile-up spacing"

EPILOG = """RESULTS is a folder written by `temdefects analyze` (its json/ is read) or a folder
of its per-frame JSON files. Frames of one source are ordered by frame index; frames of
several sources (a folder of single images) by source file name in natural order
(img2 before img10), then frame. Writes into OUT:
  tracks.csv        per track and frame: centroid, displacement, velocity (px, nm)
  spacing.csv       per frame and track: nearest neighbour track and distance
  tracks.json       every track with its curve in each frame
  spacing.png       distance to the nearest neighbour against frame (Govind et al., Fig. 15)
  trajectories.png  centroid paths in image coordinates
  pairs.csv/.png    with --pairs: distance between the given tracks against frame
example:
  temdefects analyze movie.mp4 -o results/ --pixel-size 0.8
  temdefects track results/ -o tracks/ --pairs 1-2 2-3
"""

OUTPUTS = ("tracks.csv", "spacing.csv", "tracks.json", "spacing.png", "trajectories.png")
TRACK_COLUMNS = tuple(
    "track frame source source_frame dislocation_id x_px y_px dx_px dy_px displacement_px "
    "velocity_px_per_frame normal_velocity_px_per_frame length_px x_nm y_nm displacement_nm "
    "velocity_nm_per_frame normal_velocity_nm_per_frame length_nm".split()
)
SPACING_COLUMNS = ("frame", "track", "neighbour", "distance_px", "distance_nm")
PAIR_COLUMNS = ("frame", "pair", "track_a", "track_b", "distance_px", "distance_nm")


def _pair(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", text)
    if not match or int(match[1]) < 1 or int(match[2]) < 1 or match[1] == match[2]:
        raise argparse.ArgumentTypeError(
            f"expected two different track ids as A-B (e.g. 1-2), got {text!r}"
        )
    return int(match[1]), int(match[2])


def _distance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def add_parser(sub) -> None:
    p = sub.add_parser(
        "track",
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("results", metavar="RESULTS", help="analyze output folder or JSON folder")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder")
    p.add_argument(
        "--pairs",
        nargs="+",
        type=_pair,
        default=[],
        metavar="A-B",
        help="also write the distance between these track pairs against frame",
    )
    g = p.add_argument_group("matching")
    g.add_argument(
        "--max-distance",
        type=_distance,
        default=20.0,
        metavar="PX",
        help="largest mean curve distance linked between frames (default 20 px)",
    )
    g.add_argument(
        "--max-gap",
        type=non_negative_int,
        default=2,
        metavar="N",
        help="frames a track may be missing and still continue (default 2)",
    )
    g.add_argument(
        "--min-track-length",
        type=positive_int,
        default=1,
        metavar="N",
        help="drop tracks found in fewer frames (default 1)",
    )
    p.add_argument("--overwrite", action="store_true", help="allow a non-empty output folder")
    p.set_defaults(run=run_command)


def _natural(text: str) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def _read(path: Path) -> dict:
    """One frame record with its curves as arrays; InputFileError says what is wrong."""
    import json

    import numpy as np

    from temdefects.analysis.outputs import FORMAT
    from temdefects.errors import InputFileError

    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{path.name}: not a readable JSON file ({exc})") from None
    if not isinstance(rec, dict) or rec.get("format", FORMAT) != FORMAT:
        raise InputFileError(f"{path.name}: not a {FORMAT} file")
    try:
        frame, source, ps = rec["frame"], rec.get("source"), rec.get("pixel_size_nm")
        if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
            raise ValueError(f"frame must be an integer >= 0, got {frame!r}")
        if ps is not None and not (isinstance(ps, int | float) and ps > 0):
            raise ValueError(f"pixel_size_nm must be > 0 or null, got {ps!r}")
        curves, ids, lengths = [], [], []
        for k, d in enumerate(rec["dislocations"]):
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
    }


def _order(frames: list[dict]) -> list[dict]:
    from temdefects.errors import TemdefectsError

    if len({f["source"] for f in frames}) > 1:
        frames = sorted(
            frames,
            key=lambda f: (_natural(Path(f["source"]).name), _natural(f["source"]), f["index"]),
        )
    else:
        frames = sorted(frames, key=lambda f: f["index"])
    for a, b in zip(frames, frames[1:], strict=False):
        if (a["source"], a["index"]) == (b["source"], b["index"]):
            raise TemdefectsError(
                f"{a['file']} and {b['file']} are both frame {a['index']} of {a['source']}"
            )
    return frames


def _json_files(results: Path) -> list[Path]:
    from temdefects.errors import InputFileError

    if not results.is_dir():
        raise InputFileError(f"{results}: no such folder")
    folder = results / "json" if (results / "json").is_dir() else results
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".json")
    if not files:
        raise InputFileError(f"{folder}: no JSON files (expected `temdefects analyze` results)")
    return files


def _num(value, scale=1.0, digits: int = 3) -> str:
    import math

    if value is None or scale is None or not math.isfinite(value):
        return ""
    return f"{value * scale:.{digits}f}"


def _csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    import csv
    import io

    from temdefects.io.atomic import atomic_write_text

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buf.getvalue())


def _track_rows(result, frames: list[dict]) -> list[dict]:
    from temdefects.analysis.tracking import motion

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
                "x_px": _num(m.x),
                "y_px": _num(m.y),
                "dx_px": _num(m.dx),
                "dy_px": _num(m.dy),
                "displacement_px": _num(m.displacement),
                "velocity_px_per_frame": _num(m.velocity),
                "normal_velocity_px_per_frame": _num(m.normal_velocity),
                "length_px": _num(length),
                "x_nm": _num(m.x, ps),
                "y_nm": _num(m.y, ps),
                "displacement_nm": _num(m.displacement, ps),
                "velocity_nm_per_frame": _num(m.velocity, ps),
                "normal_velocity_nm_per_frame": _num(m.normal_velocity, ps),
                "length_nm": _num(length, ps),
            }
        )
    return rows


def _tracks_json(result, frames: list[dict]) -> str:
    import json

    from temdefects import __version__

    return (
        json.dumps(
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


def run_command(args) -> int:
    import numpy as np

    from temdefects.analysis.spacing import mean_spacing, neighbour_spacing, pair_distance
    from temdefects.analysis.track_plots import distance_png, spacing_png, trajectories_png
    from temdefects.analysis.tracking import track
    from temdefects.errors import InputFileError, TemdefectsError
    from temdefects.io.atomic import atomic_write_bytes, atomic_write_text

    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise TemdefectsError(f"{out}: exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        raise TemdefectsError(f"{out}: output folder is not empty (use --overwrite)")
    frames, failed = [], 0
    for path in _json_files(Path(args.results)):
        try:
            frames.append(_read(path))
        except InputFileError as exc:
            failed += 1
            print(f"temdefects track: error: {exc}", file=sys.stderr)
    if not frames:
        raise InputFileError(f"{args.results}: no readable frame JSON files")
    frames = _order(frames)
    result = track(
        [f["curves"] for f in frames],
        max_distance=args.max_distance,
        max_gap=args.max_gap,
        min_track_length=args.min_track_length,
    )
    spacing = neighbour_spacing(result)
    sizes = {f["pixel_size"] for f in frames}
    common = sizes.pop() if len(sizes) == 1 else None  # plots in nm only with one pixel size

    out.mkdir(parents=True, exist_ok=True)
    _csv(out / "tracks.csv", TRACK_COLUMNS, _track_rows(result, frames))
    _csv(
        out / "spacing.csv",
        SPACING_COLUMNS,
        [
            {
                "frame": s.frame,
                "track": s.track,
                "neighbour": s.neighbour,
                "distance_px": _num(s.distance),
                "distance_nm": _num(s.distance, frames[s.frame]["pixel_size"]),
            }
            for s in spacing
        ],
    )
    atomic_write_text(out / "tracks.json", _tracks_json(result, frames))
    atomic_write_bytes(out / "spacing.png", spacing_png(spacing, pixel_size=common))
    shapes = [f["shape"] for f in frames if f["shape"]]
    shape = tuple(int(v) for v in np.max(shapes, axis=0)) if shapes else None
    atomic_write_bytes(out / "trajectories.png", trajectories_png(result, shape=shape))

    if args.pairs:
        rows, series = [], {}
        for a, b in args.pairs:
            try:
                fr, dist = pair_distance(result, a, b)
            except ValueError as exc:
                failed += 1
                print(f"temdefects track: error: pair {a}-{b}: {exc}", file=sys.stderr)
                continue
            series[f"{a}-{b}"] = (fr, dist)
            rows.extend(
                {
                    "frame": int(f),
                    "pair": f"{a}-{b}",
                    "track_a": a,
                    "track_b": b,
                    "distance_px": _num(d),
                    "distance_nm": _num(d, frames[f]["pixel_size"]),
                }
                for f, d in zip(fr, dist, strict=True)
            )
        _csv(out / "pairs.csv", PAIR_COLUMNS, rows)
        atomic_write_bytes(
            out / "pairs.png",
            distance_png(series, pixel_size=common, title="distance between tracks"),
        )

    mean = mean_spacing(spacing)
    nm = [
        s.distance * frames[s.frame]["pixel_size"] for s in spacing if frames[s.frame]["pixel_size"]
    ]
    text = f"{mean:.2f} px" if spacing else "n/a (fewer than 2 tracks per frame)"
    if len(nm) == len(spacing) and nm:
        text += f" ({np.mean(nm):.2f} nm)"
    print(
        f"tracked {len(frames)} frames: {len(result.tracks)} tracks; mean nearest-neighbour "
        f"spacing {text}; results in {out}" + (f"; {failed} errors" if failed else "")
    )
    return 1 if failed else 0
