"""``temdefects analyze``: dislocations in micrographs and videos as curves."""

from __future__ import annotations

import math
import sys
import time
from collections import deque
from concurrent.futures import Future
from pathlib import Path

from temdefects.builtin_models import MODEL_HELP, model_argument
from temdefects.cli.common import (
    add_flatten_argument,
    add_inputs_and_output,
    add_overwrite_resume,
    command_parser,
    finish_parser,
    positive_int,
    print_error,
    record_contrast,
    record_flatten,
    record_scale,
)

HELP = "find every dislocation in images, stacks or videos and write curves, tables, overlays"

EPILOG = """inputs: PNG, JPG, BMP, TIFF (stacks too), DM3/DM4, EMD, SER, MRC, MP4/AVI/MOV/MKV,
folders and glob patterns. Writes into OUT:
  dislocations.csv        every dislocation of every frame (lengths in px and nm)
  json/<frame>.json       50 points per dislocation (x = column, y = row, px), length, curvature
  overlays/<frame>.png    each dislocation in its own colour with its id
  labelme/<frame>.json    line strips that open in labelme for correction
  rois/<frame>.zip        ImageJ/Fiji ROI set
  summary.json            every input with its status
example:
  temdefects analyze movie.mp4 frames/ -o results/ --model runs/m2 --pixel-size 0.8
"""

OWN = ("dislocations.csv", "summary.json", "json", "overlays", "labelme", "rois")


def add_parser(sub) -> None:
    p = command_parser(sub, "analyze", help=HELP, epilog=EPILOG)
    add_inputs_and_output(p, inputs="files, folders or glob patterns")
    p.add_argument("--model", metavar="DIR|NAME", type=model_argument, help=MODEL_HELP)
    p.add_argument(
        "--pixel-size",
        type=float,
        metavar="NM",
        help="nm per pixel when the file does not say (overrides metadata)",
    )
    g = p.add_argument_group("post-processing")
    g.add_argument(
        "--method",
        choices=("trace", "masks", "ridge"),
        default=None,
        help="trace: every line through the union of the masks (the default unless the model "
        "chose another); masks: one curve per predicted mask (Govind et al.); ridge: lines "
        "tracked along the ridges of the union, through crossings, stopping at sharp turns",
    )
    g.add_argument(
        "--threshold",
        type=float,
        help="mask threshold (default: the model's chosen value, see finetune, else 0.5)",
    )
    g.add_argument("--min-size", type=int, default=30, help="smallest mask in px (default 30)")
    g.add_argument(
        "--min-length",
        type=float,
        help="shortest dislocation in px (default: the model's chosen value, else 25 with "
        "trace, 10 with masks)",
    )
    g.add_argument(
        "--merge-dice",
        type=float,
        default=0.5,
        help="with --method masks: masks with a larger Dice are one dislocation (default 0.5)",
    )
    g.add_argument(
        "--min-objectness",
        type=float,
        default=0.0,
        help="drop masks the objectness head scores lower (default 0)",
    )
    g.add_argument(
        "--join-gap",
        type=float,
        help="join curve pieces whose ends are this close and aligned, px (default: the "
        "model's chosen value, else 60 with trace, 15 with masks; 0: off)",
    )
    g.add_argument(
        "--corner-angle",
        type=float,
        help="trace: cut curves where they turn by more than this many degrees within 10 px "
        "(default: the model's chosen value, else 180: never)",
    )
    g.add_argument(
        "--drop-covered",
        type=float,
        default=0.7,
        help="drop a curve with this share of its points on a longer one (default 0.7; 0: off)",
    )
    g.add_argument(
        "--edge-margin",
        type=float,
        default=3.0,
        help="drop a curve with half of its points or more this close to the frame's edge, "
        "px (default 3; 0: off)",
    )
    s = p.add_argument_group("size")
    s.add_argument(
        "--max-side",
        type=int,
        default=2048,
        help="larger frames are downscaled to this side for inference (default 2048)",
    )
    s.add_argument(
        "--scale",
        type=float,
        default=None,
        help="resample every frame by this factor first (default: as the model's record says, "
        "e.g. 2 for a model adapted with --scale 2; else 1)",
    )
    add_flatten_argument(s, from_record="the model's record")
    s.add_argument(
        "--flips",
        action="store_true",
        help="average the probabilities of each frame and its three mirror images (test-time "
        "augmentation, 4x the inference time; one-mask models such as temdefects adapt's)",
    )
    w = p.add_argument_group("scale-out (docs/scale.md)")
    w.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="local processes analysing frames (default 1: this process)",
    )
    w.add_argument(
        "--scheduler",
        metavar="ADDR",
        help="Dask scheduler whose workers analyse the frames: tcp://HOST:PORT, or local:N for "
        "a local cluster of N processes; results are written here, in order",
    )
    add_overwrite_resume(
        p,
        overwrite="allow a non-empty output folder",
        resume="continue an interrupted run in OUT: frames it finished with the same model and "
        "settings are kept, the others analysed",
    )
    finish_parser(p, run_command, overwrite=None)


def _options(args, record: dict | None = None):
    """Analysis options from the command line; a model record fills what was not given."""
    from temdefects.dislocations.analysis import AnalysisOptions, PostprocessOptions
    from temdefects.dislocations.analysis.choose import model_postprocess
    from temdefects.errors import TemdefectsError

    given = {
        "method": args.method,
        "threshold": args.threshold,
        "min_size": args.min_size,
        "merge_dice": args.merge_dice,
        "min_length": args.min_length,
        "min_objectness": args.min_objectness,
        "join_gap": args.join_gap,
        "corner_angle": args.corner_angle,
        "drop_covered": args.drop_covered,
        "edge_margin": args.edge_margin,
    }
    try:
        return AnalysisOptions(
            postprocess=PostprocessOptions(**model_postprocess(record or {}, given)),
            max_side=args.max_side,
            scale=record_scale(record or {}, args.scale),
            flatten=record_flatten(record or {}, args.flatten),
            flips=args.flips,
            contrast=record_contrast(record or {}, args.contrast),
        )
    except ValueError as exc:
        raise TemdefectsError(option_message(str(exc))) from None


def option_message(message: str) -> str:
    """``min_length: ...`` -> ``--min-length: ...``: name the option the user typed."""
    name, sep, rest = message.partition(":")
    if sep and name.isidentifier():
        return f"--{name.replace('_', '-')}:{rest}"
    return message


def _frame_count(path) -> int | None:
    """Frames in ``path`` for the progress bar; None when unknown or unreadable."""
    from temdefects.errors import InputFileError
    from temdefects.io.frames import count_frames

    try:
        return count_frames(path)
    except InputFileError:
        return None


def run_command(args) -> int:

    from tqdm import tqdm

    from temdefects.cli.common import expand_reporting
    from temdefects.dislocations.analysis import analyze_image
    from temdefects.dislocations.analysis.outputs import (
        finished_frame,
        record_rows,
        run_settings,
        write_frame,
        write_table,
    )
    from temdefects.dislocations.analysis.remote import analyze_task
    from temdefects.errors import InputFileError, TemdefectsError
    from temdefects.io.atomic import (
        atomic_write_json,
        remove_if_empty,
        remove_temporaries,
        temporary_target,
    )
    from temdefects.io.frames import MIN_SIDE, iter_frames
    from temdefects.parallel import executor, worker_count

    options = _options(args)  # checked before any input is read
    if args.pixel_size is not None and not (math.isfinite(args.pixel_size) and args.pixel_size > 0):
        raise TemdefectsError(f"--pixel-size: must be a finite number > 0, got {args.pixel_size}")
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise TemdefectsError(f"{out}: output path is a file, not a folder")
    foreign = out.exists() and any(
        p.name not in OWN and temporary_target(p.name) not in OWN for p in out.iterdir()
    )
    if args.resume:
        if foreign:
            raise TemdefectsError(f"{out}: holds files analyze did not write; cannot resume there")
    elif foreign:
        if not args.overwrite:
            raise TemdefectsError(f"{out}: output folder is not empty (use --overwrite)")
    elif out.exists() and any(out.iterdir()) and not args.overwrite:
        raise TemdefectsError(f"{out}: holds earlier results (use --overwrite or --resume)")
    # Inputs first (a typo costs no model load); a bad item is reported, the rest go on.
    files, report = expand_reporting(args.inputs, getattr(args, "prog", "temdefects analyze"))
    failed = len(report)
    if not files:
        return 1  # each bad input has had its line; nothing read, nothing written
    from temdefects.models import load, read_config  # torch: only once there is work
    from temdefects.models.folder import default_model_path

    model = load(args.model) if args.scheduler is None and args.workers == 1 else None
    model_name = str(Path(args.model).resolve()) if args.model else "default"
    record = read_config(args.model or default_model_path())
    if args.flips and record["model"].get("n_masks") != 1:
        raise TemdefectsError(
            "--flips: needs a one-mask model (as temdefects adapt makes); this one predicts "
            f"{record['model'].get('n_masks')} masks, whose order a mirror image may change"
        )
    options = _options(args, record)
    out.mkdir(parents=True, exist_ok=True)
    if args.resume or args.overwrite:  # what a killed run left half-written
        remove_temporaries(out, OWN)
    settings = run_settings(options, args.pixel_size)  # the values used, defaults filled in

    totals = [_frame_count(f) for f in files]  # an unreadable file fails below, in its turn
    total = sum(t for t in totals if t) if all(totals) else None
    bar = tqdm(total=total, desc="analyze", unit="frame", disable=args.quiet, file=sys.stderr)
    rows, counts = [], {"resumed": 0}
    model_path = str(Path(args.model or default_model_path()).resolve())
    # In frame order: (entry, record of a finished frame | result | future of one).
    pending: deque = deque()

    def drain(limit: int) -> None:
        while len(pending) > limit:
            entry, item, ps = pending.popleft()
            if isinstance(item, dict):  # finished by an earlier, interrupted run
                record = item
                counts["resumed"] += 1
            else:
                result = item.result() if isinstance(item, Future) else item
                record = write_frame(out, result, model=model_name, settings=settings)
            rows.extend(record_rows(record))
            entry["frames"] += 1
            entry["dislocations"] += len(record["dislocations"])
            entry["pixel_size_nm"] = ps
            bar.update()

    start = time.perf_counter()
    try:
        with executor(args.workers, args.scheduler) as pool:
            limit = 2 * worker_count(pool, args.workers)  # frames held in memory at once
            for path in files:
                entry = {"input": str(path), "frames": 0, "dislocations": 0, "status": "ok"}
                report.append(entry)
                try:
                    for frame in iter_frames(path, pixel_size=args.pixel_size, min_side=MIN_SIDE):
                        meta = {
                            "name": frame.name,
                            "source": str(path),
                            "index": frame.index,
                            "pixel_size": frame.pixel_size,
                        }
                        done = None
                        if args.resume:
                            done = finished_frame(
                                out, frame.name, model=model_name, settings=settings
                            )
                        if done is not None:
                            item = done
                        elif pool is None:
                            item = analyze_image(model, frame.image, options=options, **meta)
                        else:
                            item = pool.submit(
                                analyze_task, model_path, frame.image, options, **meta
                            )
                        pending.append((entry, item, frame.pixel_size))
                        drain(limit)
                except InputFileError as exc:
                    drain(0)  # the frames read before the damage are kept
                    entry.update(status="failed", error=str(exc))
                    failed += 1
                    print_error(args, str(exc))
            drain(0)
    finally:
        bar.close()
    resumed = counts["resumed"]
    elapsed = time.perf_counter() - start
    frames = sum(e.get("frames", 0) for e in report)
    if not frames:  # every input failed, each with its line: nothing read, nothing written
        remove_if_empty(out)
        return 1
    write_table(out / "dislocations.csv", rows)
    atomic_write_json(
        out / "summary.json",
        {
            "model": model_name,
            "settings": settings,
            "inputs": report,
            "frames": frames,
            "dislocations": len(rows),
            "failed": failed,
            "seconds": round(elapsed, 2),
        },
    )
    print(
        f"analyzed {frames} frames from {len(report) - failed} of {len(report)} inputs: "
        f"{len(rows)} dislocations "
        f"in {elapsed:.1f} s; results in {out}"
        + (f" ({resumed} frames kept from the interrupted run)" if resumed else "")
        + (f"; {failed} inputs failed" if failed else "")
    )
    return 1 if failed else 0
