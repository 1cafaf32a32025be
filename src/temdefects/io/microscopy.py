"""Microscope vendor formats: DM3/DM4, EMD (Velox and Berkeley), SER and MRC.

DM3/DM4 and EMD are read with RosettaSciIO in lazy mode, so an in-situ stack
of many gigabytes is decoded one frame at a time (SER files are read whole:
see :func:`_image_signals`). Every signal with
two signal axes yields its navigation positions (time, tilt ...) as frames;
spectra and spectrum images are skipped. MRC files are memory-mapped with
``mrcfile``; a (Z, Y, X) file yields Z frames.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from temdefects.io._planes import RawPlane, grey_plane
from temdefects.io.metadata import axes_pixel_size, mrc_pixel_size

RSCIIO_SUFFIXES = (".dm3", ".dm4", ".emd", ".ser")
MRC_SUFFIXES = (".mrc", ".mrcs")


def _rsciio_reader(suffix: str) -> Callable[..., list[dict[str, Any]]]:
    if suffix in (".dm3", ".dm4"):
        from rsciio.digitalmicrograph import file_reader

        return file_reader
    if suffix == ".ser":
        from rsciio.tia import file_reader

        return file_reader
    if suffix == ".emd":
        try:
            from rsciio.emd import file_reader
        except ModuleNotFoundError as exc:  # h5py is an optional RosettaSciIO extra
            raise ModuleNotFoundError(
                f"reading EMD files needs the '{exc.name}' package (pip install h5py)"
            ) from None

        def read_images(filename: str, lazy: bool) -> list[dict[str, Any]]:
            # Velox files may hold EDS spectrum images; only images are wanted
            # (select_type is ignored for Berkeley EMD files; the docstring says "image"
            # but the code accepts "images").
            return file_reader(filename, lazy=lazy, select_type="images")

        return read_images
    raise ValueError(f"not a RosettaSciIO suffix: {suffix}")


def _image_signals(path: Path) -> list[tuple[Any, tuple[int, ...], float | None, str | None]]:
    """(lazy data with signal axes last, navigation shape, pixel size, unit) per 2D signal."""
    suffix = path.suffix.lower()
    reader = _rsciio_reader(suffix)
    # RosettaSciIO's SER reader parses every element when it opens the file and
    # its lazy mode re-reads the whole file for each slice, so eager is cheaper.
    signals = reader(str(path), lazy=suffix != ".ser")
    found = []
    for signal in signals:
        data = signal["data"]
        axes = sorted(signal.get("axes", []), key=lambda ax: ax.get("index_in_array", 0))
        if len(axes) != data.ndim:
            continue
        signal_dims = [i for i, ax in enumerate(axes) if not ax.get("navigate", False)]
        if len(signal_dims) != 2 and data.ndim >= 3 and len(signal_dims) == data.ndim:
            # Berkeley EMD stores no navigate flags: every axis looks like a
            # signal axis. Take the last two as the image when they share a unit
            # (y, x), which a spectrum image's (x, energy) pair does not.
            if axes[-1].get("units") == axes[-2].get("units"):
                signal_dims = [data.ndim - 2, data.ndim - 1]
        if len(signal_dims) != 2 or data.dtype.kind not in "biuf":
            continue
        if signal_dims != [data.ndim - 2, data.ndim - 1]:
            data = np.moveaxis(data, signal_dims, [-2, -1])
        pixel_size, unit = axes_pixel_size([axes[i] for i in signal_dims])
        found.append((data, tuple(data.shape[:-2]), pixel_size, unit))
    if not found:
        raise ValueError("no 2D image in file (only spectra or other signals)")
    return found


def iter_rsciio(path: str | os.PathLike) -> Iterator[RawPlane]:
    """Yield each 2D image of a DM3/DM4/EMD/SER file, one navigation position at a time."""
    signals = _image_signals(Path(path))
    total = sum(int(np.prod(nav)) for _, nav, _, _ in signals)
    for data, nav, pixel_size, unit in signals:
        for index in np.ndindex(*nav):
            plane, dtype = grey_plane(np.asarray(data[index]))
            yield RawPlane(plane, dtype, pixel_size, unit, total > 1)


def count_rsciio(path: str | os.PathLike) -> int:
    """Number of frames :func:`iter_rsciio` yields (reads metadata only)."""
    return sum(int(np.prod(nav)) for _, nav, _, _ in _image_signals(Path(path)))


def iter_mrc(path: str | os.PathLike) -> Iterator[RawPlane]:
    """Yield the sections of an MRC file; pixel size from the x voxel size (Å -> nm)."""
    import mrcfile

    with mrcfile.mmap(path, mode="r", permissive=False) as mrc:
        pixel_size, unit = mrc_pixel_size(float(mrc.voxel_size.x))
        data = mrc.data
        if data is None or data.ndim not in (2, 3) or data.size == 0:
            raise ValueError(f"expected a 2D image or a (Z, Y, X) stack, got {_shape(data)}")
        stack = data.ndim == 3 and data.shape[0] > 1
        planes = data if data.ndim == 3 else data[np.newaxis]
        for section in planes:
            plane, dtype = grey_plane(np.array(section))  # copy out of the memory map
            yield RawPlane(plane, dtype, pixel_size, unit, stack)


def count_mrc(path: str | os.PathLike) -> int:
    """Number of sections in an MRC file, from its header."""
    import mrcfile

    with mrcfile.mmap(path, mode="r", permissive=False) as mrc:
        data = mrc.data
        if data is None or data.ndim not in (2, 3):
            raise ValueError(f"expected a 2D image or a (Z, Y, X) stack, got {_shape(data)}")
        return 1 if data.ndim == 2 else int(data.shape[0])


def _shape(data: np.ndarray | None) -> str:
    return "no data" if data is None else f"shape {data.shape}"
