"""TIFF reading, one plane at a time: single images, multi-page stacks, colour.

Every image page of the file (reduced-resolution pyramid levels and
thumbnails flagged as such are skipped) yields one plane; a page that holds
several grey planes, such as a (T, H, W) array written as one page with
extra samples, yields each of them. Colour pages become luminance.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from temdefects.io._planes import RawPlane, grey_plane
from temdefects.io.metadata import tiff_pixel_size

TIFF_SUFFIXES = (".tif", ".tiff")


def iter_tiff(path: str | os.PathLike) -> Iterator[RawPlane]:
    """Yield every 2D plane of a TIFF file with its pixel size (see module doc)."""
    import tifffile

    path = Path(path)
    with tifffile.TiffFile(path) as tif:
        pixel_size, unit = tiff_pixel_size(tif)
        pages = _image_pages(tif)
        n_planes = sum(_n_planes(page) for page in pages)
        declared = _imagej_images(tif)
        if declared > n_planes:
            # ImageJ writes only the first IFD of stacks over 4 GB; the other
            # images follow contiguously and are reachable through a memmap.
            stack = tifffile.memmap(path, mode="r")
            height, width = stack.shape[-2:]
            for plane in stack.reshape(-1, height, width):
                yield RawPlane(np.asarray(plane), plane.dtype.name, pixel_size, unit, True)
            return
        for page in pages:
            for plane, dtype in _page_planes(page):
                yield RawPlane(plane, dtype, pixel_size, unit, n_planes > 1)


def count_tiff(path: str | os.PathLike) -> int:
    """Number of planes :func:`iter_tiff` yields, from the page headers only."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        return max(sum(_n_planes(page) for page in _image_pages(tif)), _imagej_images(tif))


def _imagej_images(tif) -> int:
    if not tif.is_imagej:
        return 0
    return int((tif.imagej_metadata or {}).get("images", 0))


def _image_pages(tif) -> list:
    pages = [page for page in tif.pages if not (int(page.subfiletype) & 1)]
    if not pages:
        raise ValueError("no image page")
    return pages


def _is_colour(page) -> bool:
    import tifffile

    photometric = page.photometric
    colour = (tifffile.PHOTOMETRIC.RGB, tifffile.PHOTOMETRIC.YCBCR, tifffile.PHOTOMETRIC.PALETTE)
    return photometric in colour


def _n_planes(page) -> int:
    if _is_colour(page):
        return 1
    sizes = [size for axis, size in zip(page.axes, page.shape, strict=True) if axis not in "YXS"]
    if "S" in page.axes and not _has_alpha(page):
        sizes.append(page.shape[page.axes.index("S")])
    return int(np.prod(sizes)) if sizes else 1


def _has_alpha(page) -> bool:
    # ExtraSamples 1 and 2 are associated and unassociated alpha.
    return any(int(kind) in (1, 2) for kind in (page.extrasamples or ()))


def _page_planes(page) -> Iterator[tuple[np.ndarray, str]]:
    import tifffile

    arr = page.asarray()
    axes = page.axes
    if page.photometric == tifffile.PHOTOMETRIC.PALETTE and page.colormap is not None:
        # colormap is (3, 2**bits) uint16: index the colour table, keep 16-bit RGB.
        arr = np.moveaxis(page.colormap[:, arr], 0, -1)
        axes = axes + "S"
    if "S" in axes and axes.index("S") != len(axes) - 1:
        arr = np.moveaxis(arr, axes.index("S"), -1)
        axes = axes.replace("S", "") + "S"
    if _is_colour(page):
        yield grey_plane(arr)
        return
    if "S" in axes and _has_alpha(page):
        arr = arr[..., 0]
        axes = axes[:-1]
    # Move Y and X last, then every other axis is a frame axis.
    arr = np.moveaxis(arr, [axes.index("Y"), axes.index("X")], [-2, -1])
    height, width = arr.shape[-2:]
    for plane in arr.reshape(-1, height, width):
        yield grey_plane(plane)
