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


def run_command(args) -> int:
    import numpy as np

    from temdefects.analysis.spacing import mean_spacing, neighbour_spacing, pair_distance
    from temdefects.analysis.track_io import (
        NotFrameRecord,
        fmt_number,
        frame_files,
        order_frames,
        read_frame_record,
        track_rows,
        tracks_json,
        write_csv,
    )
    from temdefects.analysis.track_plots import distance_png, spacing_png, trajectories_png
    from temdefects.analysis.tracking import track
    from temdefects.errors import InputFileError
    from temdefects.io.atomic import atomic_write_bytes, atomic_write_text, check_output_folder

    out = check_output_folder(args.output, args.overwrite)
    frames, failed, foreign = [], 0, []
    for path in frame_files(Path(args.results)):
        try:
            frames.append(read_frame_record(path))
        except NotFrameRecord as exc:
            foreign.append(str(exc))  # other JSON (summary, synthetic records): one line below
        except InputFileError as exc:
            failed += 1
            print(f"temdefects track: error: {exc}", file=sys.stderr)
    if not frames:
        more = f", and {len(foreign) - 1} more like it" if len(foreign) > 1 else ""
        why = f" ({foreign[0]}{more})" if foreign else ""
        raise InputFileError(
            f"{args.results}: no readable frame JSON files{why}; track reads the results of "
            "`temdefects analyze`: run it on the images first"
        )
    if foreign:
        print(
            f"temdefects track: skipped {len(foreign)} JSON files that are not frame results",
            file=sys.stderr,
        )
    frames = order_frames(frames)
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
    write_csv(out / "tracks.csv", TRACK_COLUMNS, track_rows(result, frames))
    write_csv(
        out / "spacing.csv",
        SPACING_COLUMNS,
        [
            {
                "frame": s.frame,
                "track": s.track,
                "neighbour": s.neighbour,
                "distance_px": fmt_number(s.distance),
                "distance_nm": fmt_number(s.distance, frames[s.frame]["pixel_size"]),
            }
            for s in spacing
        ],
    )
    atomic_write_text(out / "tracks.json", tracks_json(result, frames))
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
                    "distance_px": fmt_number(d),
                    "distance_nm": fmt_number(d, frames[f]["pixel_size"]),
                }
                for f, d in zip(fr, dist, strict=True)
            )
        write_csv(out / "pairs.csv", PAIR_COLUMNS, rows)
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
