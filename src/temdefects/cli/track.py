"""``temdefects track``: follow dislocations over the frames of ``analyze`` results."""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

from temdefects.builtin_models import MODEL_HELP, model_argument
from temdefects.cli.common import (
    add_flatten_argument,
    check_flatten_option,
    command_parser,
    finish_parser,
    non_negative_int,
    positive_int,
    record_contrast,
    record_flatten,
    record_scale,
)

HELP = "follow dislocations over video frames: ids, velocities, pile-up spacing"

EPILOG = """INPUT is a video (MP4, AVI, ...), a stack (TIFF, DM4, EMD, ...), a folder of frames
(natural order: img2 before img10), or a folder written by `temdefects analyze` (its json/ is
read) or of its per-frame JSON files. Frames and videos are analysed first (per-frame
results in OUT/analysis/, as `analyze` writes them, with the model's chosen post-processing)
and their drift is removed before tracking (--no-drift: off). Frames of one source are
ordered by frame index; frames of several sources by source file name in natural order,
then frame. Writes into OUT:
  tracks.csv        per track and frame: centroid, displacement, velocity (px, nm)
  spacing.csv       per frame and track: nearest neighbour track and distance
  tracks.json       every track with its curve in each frame
  spacing.png       distance to the nearest neighbour against frame (Govind et al., Fig. 15)
  trajectories.png  centroid paths in image coordinates
  pairs.csv/.png    with --pairs: distance between the given tracks against frame
  drift.csv         per frame: drift (dx, dy) px against the first frame
  annotated.mp4     frames and videos: each track's curve and id over the frames
Positions (x_px, y_px) and velocities are in stabilised coordinates (the first frame's);
x_raw_px, y_raw_px are where the dislocation is in its own frame.
examples:
  temdefects track movie.mp4 -o tracks/ --pixel-size 0.8
  temdefects analyze movie.mp4 -o results/ && temdefects track results/ -o tracks/ --pairs 1-2
"""

OUTPUTS = (
    "tracks.csv",
    "spacing.csv",
    "tracks.json",
    "spacing.png",
    "trajectories.png",
    "drift.csv",
)
TRACK_COLUMNS = tuple(
    "track frame source source_frame dislocation_id x_px y_px dx_px dy_px displacement_px "
    "velocity_px_per_frame normal_velocity_px_per_frame length_px x_nm y_nm displacement_nm "
    "velocity_nm_per_frame normal_velocity_nm_per_frame length_nm drift_x_px drift_y_px "
    "x_raw_px y_raw_px".split()
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
    p = command_parser(sub, "track", help=HELP, epilog=EPILOG)
    p.add_argument(
        "results",
        metavar="INPUT",
        help="video, stack or folder of frames; or an analyze output folder or JSON folder",
    )
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
    a = p.add_argument_group("analysis (video, stack or frames input)")
    a.add_argument("--model", metavar="DIR|NAME", type=model_argument, help=MODEL_HELP)
    a.add_argument(
        "--pixel-size", type=float, metavar="NM", help="nm per px (overrides the metadata)"
    )
    a.add_argument("--no-drift", action="store_true", help="do not remove the drift")
    a.add_argument(
        "--fps", type=float, default=10.0, help="frame rate of annotated.mp4 (default 10)"
    )
    add_flatten_argument(a, scope=" (analysis)", from_record="the model's record")
    finish_parser(p, run_command)


def run_command(args) -> int:
    import numpy as np

    from temdefects.dislocations.analysis.spacing import (
        mean_spacing,
        neighbour_spacing,
        pair_distance,
    )
    from temdefects.dislocations.analysis.track_io import (
        NotFrameRecord,
        fmt_number,
        frame_files,
        order_frames,
        read_frame_record,
        track_rows,
        tracks_json,
        write_csv,
    )
    from temdefects.dislocations.analysis.track_plots import (
        distance_png,
        spacing_png,
        trajectories_png,
    )
    from temdefects.dislocations.analysis.tracking import track
    from temdefects.dislocations.analysis.video import is_analysis_folder
    from temdefects.errors import InputFileError
    from temdefects.io.atomic import atomic_write_bytes, atomic_write_text, check_output_folder

    if args.pixel_size is not None and not (math.isfinite(args.pixel_size) and args.pixel_size > 0):
        raise InputFileError(f"--pixel-size: must be a finite number > 0, got {args.pixel_size}")
    if not (math.isfinite(args.fps) and args.fps > 0):
        raise InputFileError(f"--fps: must be a finite number > 0, got {args.fps}")
    check_flatten_option(args.flatten)
    source = Path(args.results)
    from_results = is_analysis_folder(source) or source.suffix.lower() == ".json"
    if not from_results:
        from temdefects.dislocations.analysis.video import sequence_files

        files = sequence_files(source)  # a bad input fails before the model loads
    out = check_output_folder(args.output, args.overwrite)
    frames, failed, foreign, sources = [], 0, [], []
    if from_results:
        for path in frame_files(source):
            try:
                frames.append(read_frame_record(path))
            except NotFrameRecord as exc:
                foreign.append(str(exc))  # other JSON (summary, synthetic records): below
            except InputFileError as exc:
                failed += 1
                print(f"temdefects track: error: {exc}", file=sys.stderr)
    else:
        frames, failed = _analyze(args, source, out)
        sources = files
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
    if from_results:
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

    write_csv(
        out / "drift.csv",
        ("frame", "name", "dx_px", "dy_px"),
        [
            {
                "frame": k,
                "name": f["name"],
                "dx_px": fmt_number(f["drift"][0]),
                "dy_px": fmt_number(f["drift"][1]),
            }
            for k, f in enumerate(frames)
        ],
    )
    if sources:
        from temdefects.dislocations.analysis.video import write_annotated_video

        write_annotated_video(out / "annotated.mp4", result, frames, sources, fps=args.fps)

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


def _analyze(args, source: Path, out: Path) -> tuple[list[dict], int]:
    """Analyse a video, stack or folder of frames into ``out/analysis``; records and errors."""
    from tqdm import tqdm

    from temdefects.dislocations.analysis import AnalysisOptions, PostprocessOptions
    from temdefects.dislocations.analysis.choose import CHOSEN_KEYS, model_postprocess
    from temdefects.dislocations.analysis.outputs import run_settings
    from temdefects.dislocations.analysis.video import analyze_sequence
    from temdefects.errors import InputFileError
    from temdefects.models import load

    model = load(args.model)
    record = model.record  # the config.json load has just read
    options = AnalysisOptions(
        postprocess=PostprocessOptions(**model_postprocess(record, dict.fromkeys(CHOSEN_KEYS))),
        flatten=record_flatten(record, args.flatten),
        scale=record_scale(record, None),
        contrast=record_contrast(record, args.contrast),
    )
    model_name = str(Path(args.model).resolve()) if args.model else "default"
    settings = run_settings(options, args.pixel_size)  # the values used, defaults filled in
    errors = []
    # no bar when stderr is not a terminal (None), so logs keep one line per error
    with tqdm(
        desc="analyze", unit="frame", disable=True if args.quiet else None, file=sys.stderr
    ) as bar:
        frames, _ = analyze_sequence(
            source,
            out / "analysis",
            model,
            options=options,
            model_name=model_name,
            settings=settings,
            pixel_size=args.pixel_size,
            drift=not args.no_drift,
            on_frame=bar.update,
            on_error=errors.append,
            strict=False,
        )
    if not frames:  # nothing read: one line, the first file's reason
        more = f" (and {len(errors) - 1} more unreadable files)" if len(errors) > 1 else ""
        raise InputFileError(f"{errors[0]}{more}" if errors else f"{source}: no frames")
    for message in errors:
        print(f"temdefects track: error: {message}", file=sys.stderr)
    return frames, len(errors)
