"""ImageJ ROI zip round trip."""

from __future__ import annotations

import time
import zipfile
from unittest import mock

import numpy as np
import pytest
import roifile

from temdefects.errors import InputFileError
from temdefects.io.imagej import read_imagej_rois, write_imagej_rois

CURVES = [
    np.array([[10.0, 20.0], [50.5, 20.25], [60.125, 33.0]]),
    np.array([[1234.567, 987.654], [1500.001, 1000.5]]),
    np.array([[0.0, 0.0], [3.0, 4.0]]),
]


def test_round_trip_keeps_coordinates_and_names(tmp_path):
    path = write_imagej_rois(tmp_path / "rois.zip", CURVES)
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == [
            "dislocation-001.roi",
            "dislocation-002.roi",
            "dislocation-003.roi",
        ]
    rois = read_imagej_rois(path)
    assert [name for name, _ in rois] == ["dislocation-001", "dislocation-002", "dislocation-003"]
    for (_, points), curve in zip(rois, CURVES, strict=True):
        assert points.shape == curve.shape
        np.testing.assert_allclose(points, curve, atol=1e-3)  # float32 storage
    raw = roifile.ImagejRoi.fromfile(path)
    assert all(r.roitype == roifile.ROI_TYPE.POLYLINE for r in raw)
    # the same curves give the same bytes, whenever they are written
    first = path.read_bytes()
    with mock.patch("time.time", return_value=time.time() + 7200):
        later = write_imagej_rois(tmp_path / "later.zip", CURVES).read_bytes()
    assert later == first


def test_custom_names_and_replacing_an_existing_zip(tmp_path):
    path = tmp_path / "rois.zip"
    write_imagej_rois(path, CURVES)
    write_imagej_rois(path, CURVES[:1], names=["loop-A"])  # replaced, not appended
    rois = read_imagej_rois(path)
    assert [name for name, _ in rois] == ["loop-A"]
    assert not [p for p in tmp_path.iterdir() if p.name != "rois.zip"]


def test_area_rois_are_shifted_to_pixel_centres(tmp_path):
    roi = roifile.ImagejRoi.frompoints(np.array([[2.0, 3.0], [8.0, 3.0], [8.0, 9.0]]), name="area")
    roi.roitype = roifile.ROI_TYPE.POLYGON
    path = tmp_path / "area.roi"
    roi.tofile(path)
    ((name, points),) = read_imagej_rois(path)
    assert name == "area"
    np.testing.assert_allclose(points, [[1.5, 2.5], [7.5, 2.5], [7.5, 8.5]])


def test_invalid_arguments(tmp_path):
    path = tmp_path / "x.zip"
    with pytest.raises(ValueError, match="unique"):
        write_imagej_rois(path, CURVES[:2], names=["a", "a"])
    with pytest.raises(ValueError, match="expected 3 names"):
        write_imagej_rois(path, CURVES, names=["a"])
    with pytest.raises(ValueError, match=r"curves\[0\]"):
        write_imagej_rois(path, [np.zeros((1, 2))])
    with pytest.raises(ValueError, match="'/'"):
        write_imagej_rois(path, CURVES[:1], names=["a/b"])
    assert not path.exists()


def test_missing_and_corrupted_files(tmp_path):
    with pytest.raises(InputFileError, match="none.zip: no such file"):
        read_imagej_rois(tmp_path / "none.zip")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(InputFileError, match="bad.zip: not a readable ImageJ ROI"):
        read_imagej_rois(bad)
    junk = tmp_path / "junk.roi"
    junk.write_bytes(b"\x00" * 80)
    with pytest.raises(InputFileError, match="junk.roi"):
        read_imagej_rois(junk)
