"""Pixel size from file metadata, converted to nanometres per pixel.

Each microscopy format spells its calibration differently (ImageJ TIFF tags,
OME-XML, FEI/Thermo Fisher TIFF tags, HyperSpy-style axes from RosettaSciIO,
MRC voxel sizes in Ångström). The functions here reduce all of them to one
pair ``(nm_per_pixel or None, unit string as found or None)`` so that a frame
reader never guesses: an unknown unit gives ``None`` and keeps the unit text
for the record.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

# Lower-cased unit spellings -> nanometres per unit.
_NM_PER_UNIT: dict[str, float] = {
    "pm": 1e-3,
    "picometer": 1e-3,
    "picometre": 1e-3,
    "å": 0.1,
    "a": 0.1,
    "ang": 0.1,
    "angstrom": 0.1,
    "angstroms": 0.1,
    "nm": 1.0,
    "nanometer": 1.0,
    "nanometre": 1.0,
    "nanometers": 1.0,
    "µm": 1e3,
    "μm": 1e3,
    "um": 1e3,
    "micron": 1e3,
    "microns": 1e3,
    "micrometer": 1e3,
    "micrometre": 1e3,
    "mm": 1e6,
    "m": 1e9,
    "meter": 1e9,
    "metre": 1e9,
}


def nm_per_unit(unit: object) -> float | None:
    """Nanometres in one ``unit`` (Å, nm, µm/um/micron, mm, m, pm), or ``None``.

    Non-string units (RosettaSciIO uses a traits ``Undefined`` object), empty
    strings, ``pixel`` and reciprocal units such as ``1/nm`` all give ``None``.

    Examples
    --------
    >>> nm_per_unit("Å"), nm_per_unit("um"), nm_per_unit("1/nm")
    (0.1, 1000.0, None)
    """
    if not isinstance(unit, str):
        return None
    text = unit.strip().replace("\\u00B5", "µ").replace("\\u00b5", "µ")
    text = text.replace("\u212b", "å")  # ANGSTROM SIGN -> LATIN SMALL A WITH RING
    return _NM_PER_UNIT.get(text.lower())


def length_to_nm(value: object, unit: object) -> float | None:
    """Convert a pixel length ``value`` in ``unit`` to nm; ``None`` if not a positive length."""
    factor = nm_per_unit(unit)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if factor is None or not math.isfinite(number) or number <= 0:
        return None
    return number * factor


def unit_text(unit: object) -> str | None:
    """The unit as a non-empty string for the record, else ``None``.

    ImageJ's escaped micro sign (``\\u00B5m``) is decoded to ``µm``.
    """
    if isinstance(unit, str) and unit.strip():
        return unit.strip().replace("\\u00B5", "µ").replace("\\u00b5", "µ")
    return None


def axes_pixel_size(image_axes: Sequence[Mapping[str, Any]]) -> tuple[float | None, str | None]:
    """Pixel size from the (y, x) image axes of a RosettaSciIO signal dictionary.

    The x axis (the one with the largest ``index_in_array``) is used; its
    ``scale`` and ``units`` are converted to nm.
    """
    if not image_axes:
        return None, None
    x_axis = max(image_axes, key=lambda ax: ax.get("index_in_array", 0))
    unit = x_axis.get("units")
    return length_to_nm(x_axis.get("scale"), unit), unit_text(unit)


def tiff_pixel_size(tif: Any) -> tuple[float | None, str | None]:
    """Pixel size of a ``tifffile.TiffFile`` from ImageJ, OME or FEI metadata.

    Plain TIFF resolution tags (dots per inch or per cm) are ignored on
    purpose: screenshots and exported figures carry 72 or 96 dpi, which says
    nothing about the specimen.
    """
    page = tif.pages.first if hasattr(tif.pages, "first") else tif.pages[0]
    if tif.is_imagej:
        unit = (tif.imagej_metadata or {}).get("unit")
        tag = page.tags.get("XResolution")
        if tag is not None and unit_text(unit) is not None:
            num, den = tag.value
            if num > 0:
                return length_to_nm(den / num, unit), unit_text(unit)
            return None, unit_text(unit)
    if tif.is_ome and tif.ome_metadata:
        found = _ome_pixel_size(tif.ome_metadata)
        if found[1] is not None:
            return found
    fei = getattr(tif, "fei_metadata", None)
    if fei:
        for section in ("Scan", "EScan", "Image"):
            width = (fei.get(section) or {}).get("PixelWidth")
            if width is not None:
                return length_to_nm(width, "m"), "m"
    return None, None


def _ome_pixel_size(xml: str) -> tuple[float | None, str | None]:
    # A regular expression on the first <Pixels> element is enough here and
    # avoids namespace handling for the several OME schema versions.
    match = re.search(r"<(?:\w+:)?Pixels\b[^>]*>", xml)
    if match is None:
        return None, None
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', match.group(0)))
    if "PhysicalSizeX" not in attrs:
        return None, None
    unit = attrs.get("PhysicalSizeXUnit", "µm")  # the OME default
    return length_to_nm(attrs["PhysicalSizeX"], unit), unit


def mrc_pixel_size(voxel_x_angstrom: float) -> tuple[float | None, str | None]:
    """Pixel size from an MRC header's x voxel size in Å (0 means unset)."""
    if not voxel_x_angstrom or voxel_x_angstrom <= 0:
        return None, None
    return length_to_nm(voxel_x_angstrom, "Å"), "Å"
