"""A whole in-situ sequence through the analysis, with drift, for ``temdefects track``.

:func:`analyze_sequence` reads a video (MP4/AVI/...), a stack (TIFF, DM4, EMD,
...) or an ordered folder of frames one frame at a time, analyses each frame
as ``temdefects analyze`` does (writing the same per-frame files into an
``analysis/`` folder), measures the drift of each frame against the previous
one (:mod:`temdefects.dislocations.analysis.drift`) and returns the frame records that
tracking reads, their curves moved into stabilised (frame-0) coordinates.
:func:`write_annotated_video` draws the tracked curves and ids over the frames
into an MP4.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from temdefects.dislocations.analysis.drift import DriftTracker
from temdefects.dislocations.analysis.outputs import write_frame
from temdefects.dislocations.analysis.pipeline import AnalysisOptions, analyze_image
from temdefects.dislocations.analysis.track_io import natural_key, parse_frame_record
from temdefects.errors import InputFileError
from temdefects.io.frames import MIN_SIDE, SUPPORTED_SUFFIXES, iter_frames
from temdefects.io.images import prepare_image

__all__ = ["analyze_sequence", "is_analysis_folder", "sequence_files", "write_annotated_video"]

LOG = logging.getLogger(__name__)


def is_analysis_folder(path: Path) -> bool:
    """True for a folder of ``analyze`` results (a ``json/`` folder, or JSON files only)."""
    path = Path(path)
    if not path.is_dir():
        return False
    if (path / "json").is_dir():
        return True
    suffixes = {p.suffix.lower() for p in path.iterdir() if p.is_file()}
    return ".json" in suffixes and not suffixes & set(SUPPORTED_SUFFIXES)


def sequence_files(path: Path) -> list[Path]:
    """The files of a sequence: one video/stack file, or a folder's frames in natural order.

    Raises
    ------
    InputFileError
        For a missing path, an unsupported file or a folder without frames.
    """
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise InputFileError(
                f"{path}: not a video, stack or image ({' '.join(SUPPORTED_SUFFIXES)}), nor a "
                "folder of `temdefects analyze` results"
            )
        return [path]
    if not path.is_dir():
        raise InputFileError(f"{path}: no such file or folder")
    files = [p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES]
    if not files:
        raise InputFileError(
            f"{path}: no frames ({' '.join(SUPPORTED_SUFFIXES)}) and no JSON files of "
            "`temdefects analyze` in folder"
        )
    return sorted(files, key=lambda p: natural_key(p.name))


def analyze_sequence(
    path: Path,
    out: Path,
    model,
    *,
    options: AnalysisOptions,
    model_name: str,
    settings: dict,
    pixel_size: float | None = None,
    drift: bool = True,
    on_frame: Callable[[], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    strict: bool = True,
) -> tuple[list[dict], np.ndarray]:
    """Analyse every frame of a sequence; records for tracking and the drift.

    Parameters
    ----------
    path
        Video or stack file, or folder of frames (natural order).
    out
        Folder for the per-frame files (``json/``, ``overlays/``, ...).
    model, options, model_name, settings
        As ``temdefects analyze`` uses them (settings go into each record).
    pixel_size
        nm per px overriding the files' metadata.
    drift
        Measure and remove the drift (else every drift is 0).
    on_frame, on_error
        Called after each frame, and with the message of each unreadable file
        (the others go on).
    strict
        Raise when no frame could be read (else return empty lists).

    Returns
    -------
    frames : list of dict
        One per analysed frame (:func:`~.track_io.parse_frame_record`),
        curves in stabilised coordinates, ``drift`` set.
    drift : ndarray (N, 2)
        ``(dx, dy)`` px per frame relative to the first.

    Raises
    ------
    InputFileError
        When no frame at all could be read.
    """
    tracker = DriftTracker()
    frames, drifts = [], []
    for file in sequence_files(path):
        try:
            for frame in iter_frames(file, pixel_size=pixel_size, min_side=MIN_SIDE):
                result = analyze_image(
                    model,
                    frame.image,
                    options=options,
                    name=frame.name,
                    source=str(file),
                    index=frame.index,
                    pixel_size=frame.pixel_size,
                )
                record = write_frame(out, result, model=model_name, settings=settings)
                d = tracker.add(frame.image) if drift else np.zeros(2)
                entry = parse_frame_record(record, out / "json" / f"{frame.name}.json")
                entry["curves"] = [c - d for c in entry["curves"]]
                entry["drift"] = (float(d[0]), float(d[1]))
                frames.append(entry)
                drifts.append(d)
                if on_frame is not None:
                    on_frame()
        except (InputFileError, ValueError) as exc:
            if on_error is None:
                raise
            on_error(str(exc))
    if not frames and strict:
        raise InputFileError(f"{path}: no frame could be read")
    return frames, np.array(drifts, float).reshape(-1, 2)


def _colour(track_id: int) -> tuple[int, int, int]:
    hue = (track_id * 47) % 180  # well separated hues for neighbouring ids
    hsv = np.uint8([[[hue, 220, 255]]])
    return tuple(int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])


def write_annotated_video(
    path: Path, result, frames: list[dict], sources: list[Path], *, fps: float = 10.0
) -> int:
    """Draw each track's curve and id over its frames into an MP4; returns frames written.

    The curves are drawn in each frame's own (raw) coordinates: stabilised
    curve plus that frame's drift. Frames are read again from ``sources``.
    """
    by_frame: dict[int, list] = {}
    for t in result.tracks:
        for fr, curve in zip(t.frames, t.curves, strict=True):
            by_frame.setdefault(int(fr), []).append((t.id, curve))
    writer, k = None, 0
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        for file in sources:
            try:
                images = iter_frames(file, min_side=MIN_SIDE)
                for frame in images:
                    if k >= len(frames):
                        break
                    if frame.name != frames[k]["name"]:
                        continue  # a frame the analysis could not read
                    grey = (prepare_image(frame.image) * 255).astype(np.uint8)
                    bgr = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
                    dx, dy = frames[k]["drift"]
                    for tid, curve in by_frame.get(k, []):
                        pts = np.round((curve + (dx, dy)) * 16).astype(np.int32)
                        cv2.polylines(bgr, [pts], False, _colour(tid), 2, cv2.LINE_AA, shift=4)
                        x, y = (curve[len(curve) // 2] + (dx, dy)).astype(int)
                        cv2.putText(
                            bgr,
                            str(tid),
                            (int(x) + 4, int(y) - 4),
                            cv2.FONT_HERSHEY_SIMPLEX,
                            0.5,
                            _colour(tid),
                            1,
                            cv2.LINE_AA,
                        )
                    if writer is None:
                        size = bgr.shape[1::-1]
                        fourcc = cv2.VideoWriter_fourcc(*"mp4v")
                        writer = cv2.VideoWriter(str(tmp), fourcc, fps, size)
                        if not writer.isOpened():
                            raise OSError(f"{path}: OpenCV cannot write MP4 here")
                    if bgr.shape[1::-1] != size:  # a video keeps one frame size
                        bgr = cv2.resize(bgr, size)
                    writer.write(bgr)
                    k += 1
            except InputFileError:
                continue
    finally:
        if writer is not None:
            writer.release()
    if k:
        tmp.replace(path)
    elif tmp.exists():
        tmp.unlink()
    return k
