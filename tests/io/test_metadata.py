"""Unit conversion of pixel sizes."""

from __future__ import annotations

import pytest

from temdefects.io.metadata import (
    _ome_pixel_size,
    axes_pixel_size,
    length_to_nm,
    mrc_pixel_size,
    nm_per_unit,
)


@pytest.mark.parametrize(
    ("unit", "factor"),
    [
        ("nm", 1.0),
        ("NM", 1.0),
        ("Å", 0.1),
        ("\u212b", 0.1),
        ("A", 0.1),
        ("angstrom", 0.1),
        ("µm", 1e3),
        ("\u03bcm", 1e3),
        ("um", 1e3),
        ("micron", 1e3),
        ("\\u00B5m", 1e3),
        ("m", 1e9),
        ("mm", 1e6),
        ("pm", 1e-3),
    ],
)
def test_known_units(unit, factor):
    assert nm_per_unit(unit) == pytest.approx(factor)


@pytest.mark.parametrize("unit", ["1/nm", "1 / nm", "pixel", "", "eV", None, 3, object()])
def test_unknown_units_give_none(unit):
    assert nm_per_unit(unit) is None


@pytest.mark.parametrize(
    ("value", "unit"),
    [(0, "nm"), (-1, "nm"), ("x", "nm"), (float("nan"), "nm"), (None, "nm"), (1, "px")],
)
def test_length_to_nm_rejects_non_lengths(value, unit):
    assert length_to_nm(value, unit) is None


def test_axes_use_the_x_axis():
    axes = [
        {"index_in_array": 0, "scale": 9.0, "units": "nm"},
        {"index_in_array": 1, "scale": 0.2, "units": "Å"},
    ]
    assert axes_pixel_size(axes) == (pytest.approx(0.02), "Å")
    assert axes_pixel_size([]) == (None, None)


def test_mrc_zero_voxel_means_unset():
    assert mrc_pixel_size(0.0) == (None, None)
    assert mrc_pixel_size(1.5) == (pytest.approx(0.15), "Å")


def test_ome_default_unit_is_micrometre():
    xml = '<OME><Image><Pixels ID="Pixels:0" PhysicalSizeX="0.5" SizeX="4"/></Image></OME>'
    assert _ome_pixel_size(xml) == (pytest.approx(500.0), "µm")
    assert _ome_pixel_size("<OME><Image><Pixels SizeX='4'/></Image></OME>") == (None, None)
