"""One frame reader for every input format: images, stacks, microscope files, videos.

:func:`iter_frames` opens a file by its suffix and yields :class:`Frame`
objects, one per 2D image, keeping the raw pixel values (as float32) and the
pixel size found in the metadata. Every failure to read a file becomes an
:class:`~temdefects.errors.InputFileError` with one line naming the file.

Supported suffixes
------------------
``.png .jpg .jpeg .bmp`` (OpenCV), ``.tif .tiff`` (tifffile: stacks, ImageJ /
OME / FEI pixel size), ``.dm3 .dm4 .emd .ser`` (RosettaSciIO), ``.mrc .mrcs``
(mrcfile) and ``.mp4 .avi .mov .mkv`` (PyAV).
"""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from temdefects.errors import InputFileError
from temdefects.io._planes import RawPlane, grey_plane
from temdefects.io.microscopy import (
    MRC_SUFFIXES,
    RSCIIO_SUFFIXES,
    count_mrc,
    count_rsciio,
    iter_mrc,
    iter_rsciio,
)
from temdefects.io.tiff import TIFF_SUFFIXES, count_tiff, iter_tiff
from temdefects.io.video import VIDEO_SUFFIXES, count_video, iter_video

RASTER_ONLY_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
SUPPORTED_SUFFIXES: tuple[str, ...] = (
    RASTER_ONLY_SUFFIXES + TIFF_SUFFIXES + RSCIIO_SUFFIXES + MRC_SUFFIXES + VIDEO_SUFFIXES
)

_KIND = {
    **dict.fromkeys(RASTER_ONLY_SUFFIXES, "image"),
    **dict.fromkeys(TIFF_SUFFIXES, "TIFF"),
    ".dm3": "DM3",
    ".dm4": "DM4",
    ".emd": "EMD",
    ".ser": "SER",
    **dict.fromkeys(MRC_SUFFIXES, "MRC"),
    **dict.fromkeys(VIDEO_SUFFIXES, "video"),
}


@dataclass(frozen=True, eq=False)
class Frame:
    """One 2D image read from a file.

    Attributes
    ----------
    image
        (H, W) float32 raw pixel values (not rescaled; colour is luminance).
    source
        The file the frame was read from.
    index
        Position of the frame within its file (0 for a single image).
    pixel_size
        Nanometres per pixel, or ``None`` when unknown.
    pixel_unit_raw
        The unit text found in the metadata (``"nm"``, ``"Å"``, ``"1/nm"`` ...),
        or ``None``; kept even when ``pixel_size`` was given by the caller.
    name
        Stable stem for output files: ``<file stem>`` for a single image,
        ``<file stem>_f00012`` for frame 12 of a stack or video.
    dtype
        Name of the pixel type stored in the file (``"uint8"``, ``"float32"`` ...).
    """

    image: np.ndarray
    source: Path
    index: int
    pixel_size: float | None
    pixel_unit_raw: str | None
    name: str
    dtype: str = "float32"

    def __post_init__(self) -> None:
        if not isinstance(self.image, np.ndarray) or self.image.ndim != 2:
            raise ValueError(f"Frame.image must be a 2D array, got {np.shape(self.image)}")
        if self.image.dtype != np.float32:
            raise ValueError(f"Frame.image must be float32, got {self.image.dtype}")
        if self.index < 0:
            raise ValueError(f"Frame.index must be >= 0, got {self.index}")
        if self.pixel_size is not None:
            _check_pixel_size(self.pixel_size)
        if not self.name:
            raise ValueError("Frame.name must not be empty")

    def to_unit(self, *, mode: Literal["dtype", "minmax"] = "dtype") -> np.ndarray:
        """The image as float32 in [0, 1].

        Parameters
        ----------
        mode
            ``"dtype"`` (default) divides unsigned-integer data by the largest
            value of its type (uint8 by 255, uint16 by 65535), as
            :func:`temdefects.io.images.to_unit_float` does, and min-max scales
            everything else (floats, signed integers). ``"minmax"`` always
            stretches the frame's own minimum and maximum to 0 and 1.
            A constant image gives zeros.
        """
        if mode not in ("dtype", "minmax"):
            raise ValueError(f"mode must be 'dtype' or 'minmax', got {mode!r}")
        kind = np.dtype(self.dtype).kind
        if mode == "dtype" and kind == "b":
            return self.image.copy()
        if mode == "dtype" and kind == "u":
            top = np.float32(np.iinfo(np.dtype(self.dtype)).max)
            return np.clip(self.image / top, 0.0, 1.0).astype(np.float32)
        lo, hi = float(self.image.min()), float(self.image.max())
        if hi <= lo:
            return np.zeros_like(self.image)
        return ((self.image - lo) / np.float32(hi - lo)).astype(np.float32)


def _check_pixel_size(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ValueError(f"pixel_size must be a number of nm per pixel, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"pixel_size must be a finite number > 0 (nm per pixel), got {value}")
    return float(value)


def _iter_raster(path: Path) -> Iterator[RawPlane]:
    # imdecode from bytes also handles non-ASCII paths, which cv2.imread does not on Windows.
    arr = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ValueError("not a decodable image (unsupported or corrupted file)")
    plane, dtype = grey_plane(arr, bgr=True)
    yield RawPlane(plane, dtype, None, None, False)


_READERS: dict[str, Callable[[Path], Iterator[RawPlane]]] = {
    **dict.fromkeys(RASTER_ONLY_SUFFIXES, _iter_raster),
    **dict.fromkeys(TIFF_SUFFIXES, iter_tiff),
    **dict.fromkeys(RSCIIO_SUFFIXES, iter_rsciio),
    **dict.fromkeys(MRC_SUFFIXES, iter_mrc),
    **dict.fromkeys(VIDEO_SUFFIXES, iter_video),
}

_COUNTERS: dict[str, Callable[[Path], int | None]] = {
    **dict.fromkeys(RASTER_ONLY_SUFFIXES, lambda path: 1),
    **dict.fromkeys(TIFF_SUFFIXES, count_tiff),
    **dict.fromkeys(RSCIIO_SUFFIXES, count_rsciio),
    **dict.fromkeys(MRC_SUFFIXES, count_mrc),
    **dict.fromkeys(VIDEO_SUFFIXES, count_video),
}


def _checked_suffix(path: Path) -> str:
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if not path.is_file():
        raise InputFileError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        raise InputFileError(
            f"{path}: unsupported file type {path.suffix!r} "
            f"(supported: {' '.join(SUPPORTED_SUFFIXES)})"
        )
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: empty file")
    return suffix


def _read_error(
    path: Path, suffix: str, exc: Exception, index: int | None = None
) -> InputFileError:
    where = "" if index is None else f" at frame {index}"
    if suffix in (".dm3", ".dm4") and "DM version" in str(exc):
        # RosettaSciIO reads any 4 bytes as a version number ("version 1952999795")
        return InputFileError(
            f"{path}: cannot read {_KIND[suffix]} file{where} (unrecognised header: "
            f"not a {_KIND[suffix]} file)"
        )
    errno = getattr(exc, "errno", None)
    if isinstance(exc, struct.error | EOFError | UnicodeDecodeError) or (
        isinstance(errno, int) and abs(errno) > 200
    ):
        # a reader's own text ("unpack requires a buffer of 4 bytes", FFmpeg's
        # "[Errno 1094995529]") says only that the bytes are not what the suffix names
        return InputFileError(
            f"{path}: cannot read {_KIND[suffix]} file{where} (truncated or not a "
            f"{_KIND[suffix]} file)"
        )
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())  # keep it on one line
    return InputFileError(f"{path}: cannot read {_KIND[suffix]} file{where} ({detail})")


#: Smallest side (px) of a frame that an analysis command accepts.
MIN_SIDE = 8


def check_frame_size(frame: Frame, min_side: int = MIN_SIDE) -> Frame:
    """``frame`` if both sides are at least ``min_side`` px, else InputFileError."""
    if min(frame.image.shape[:2]) < min_side:
        shape = "x".join(str(n) for n in frame.image.shape[:2])
        raise InputFileError(
            f"{frame.source}: frame {frame.index} is {shape} px, too small to analyse "
            f"(at least {min_side} px per side)"
        )
    return frame


def iter_frames(
    path: str | os.PathLike, *, pixel_size: float | None = None, min_side: int = 0
) -> Iterator[Frame]:
    """Iterate over every 2D image of ``path`` as a :class:`Frame`, one at a time.

    Parameters
    ----------
    path
        A file with one of :data:`SUPPORTED_SUFFIXES` (case-insensitive).
    pixel_size
        Nanometres per pixel; overrides the metadata when given (must be > 0).
    min_side
        Frames with a side shorter than this (px) raise InputFileError naming
        their size (the analysis commands pass :data:`MIN_SIDE`; 0: any size).

    Returns
    -------
    Iterator[Frame]
        Frames in file order; stacks and videos are never loaded whole.

    Raises
    ------
    InputFileError
        If the file is missing, empty or of an unsupported type (raised by the
        call itself), or unreadable or corrupted (raised while iterating, also
        when the damage shows only at a later frame).
    ValueError
        If ``pixel_size`` is not a finite number > 0 (raised by the call).

    Examples
    --------
    >>> for frame in iter_frames("movie.mp4"):  # doctest: +SKIP
    ...     print(frame.name, frame.image.shape, frame.pixel_size)
    """
    override = None if pixel_size is None else _check_pixel_size(pixel_size)
    path = Path(path)
    suffix = _checked_suffix(path)  # fail now, not at the first next()
    frames = _frames(path, suffix, override)
    return (check_frame_size(f, min_side) for f in frames) if min_side else frames


def _frames(path: Path, suffix: str, override: float | None) -> Iterator[Frame]:
    planes = _READERS[suffix](path)
    index = 0
    try:
        while True:
            try:
                plane = next(planes)
            except StopIteration:
                return
            except (InputFileError, MemoryError):
                raise
            except Exception as exc:  # readers raise many types for damaged files
                raise _read_error(path, suffix, exc, index if index else None) from exc
            image = np.asarray(plane.image, dtype=np.float32)
            if not np.isfinite(image).all():
                raise InputFileError(f"{path}: frame {index} contains NaN or infinite values")
            yield Frame(
                image=image,
                source=path,
                index=index,
                pixel_size=override if override is not None else plane.pixel_size,
                pixel_unit_raw=plane.unit,
                name=f"{path.stem}_f{index:05d}" if plane.stack else path.stem,
                dtype=plane.dtype,
            )
            index += 1
    finally:
        planes.close()  # release the file now, also when the caller stops early


def count_frames(path: str | os.PathLike) -> int | None:
    """Number of frames :func:`iter_frames` will yield, from headers where possible.

    Returns ``None`` for a video whose container does not declare its length.

    Raises
    ------
    InputFileError
        As :func:`iter_frames`.
    """
    path = Path(path)
    suffix = _checked_suffix(path)
    try:
        return _COUNTERS[suffix](path)
    except (InputFileError, MemoryError):
        raise
    except Exception as exc:
        raise _read_error(path, suffix, exc) from exc


def expand_inputs(items: Iterable[str | os.PathLike]) -> list[Path]:
    """Readable files from paths, folders and glob patterns, in the order given.

    A folder gives its files with a supported suffix, sorted (not recursive);
    a glob pattern gives its matches with a supported suffix, sorted. A file
    named explicitly must have a supported suffix. Duplicates are dropped.

    Raises
    ------
    InputFileError
        For a missing path, a folder without supported files, a pattern that
        matches no supported file, an unsupported file, or no input at all.
    """
    from temdefects.io.paths import expand_paths as expand_generic

    found: list[Path] = []
    seen: set[Path] = set()
    for item in items:
        text = os.fspath(item)
        paths = expand_generic([text], SUPPORTED_SUFFIXES, what="image")
        if Path(text).is_file():
            _checked_suffix(paths[0])
        elif not Path(text).is_dir():  # a glob pattern: skip other files it matches
            paths = [p for p in paths if p.suffix.lower() in SUPPORTED_SUFFIXES]
            if not paths:
                raise InputFileError(
                    f"{text}: pattern matches no supported file ({' '.join(SUPPORTED_SUFFIXES)})"
                )
        for p in paths:
            if p not in seen:
                seen.add(p)
                found.append(p)
    if not found:
        raise InputFileError("no input files given")
    return found
