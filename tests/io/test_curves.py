"""The curve check shared by the labelme and ImageJ writers."""

from __future__ import annotations

import numpy as np
import pytest

from temdefects.io._curves import check_curve
from temdefects.io.imagej import write_imagej_rois
from temdefects.io.labelme import write_labelme

GOOD = np.array([[0.0, 0.0], [3.0, 4.0]])


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((1, 2)), r"curves\[1\]: expected a \(P, 2\) array of x, y with P >= 2"),
        (np.zeros((3, 3)), r"got shape \(3, 3\)"),
        (np.array([[0.0, 0.0], [np.nan, 1.0]]), r"curves\[1\]: coordinates must be finite"),
    ],
)
def test_both_writers_reject_a_bad_curve_alike(tmp_path, bad, message):
    with pytest.raises(ValueError, match=message):
        check_curve(bad, 1)
    with pytest.raises(ValueError, match=message):
        write_imagej_rois(tmp_path / "r.zip", [GOOD, bad])
    with pytest.raises(ValueError, match=message):
        write_labelme(tmp_path / "l.json", [GOOD, bad], image_path="i.png", image_shape=(8, 8))
    assert not list(tmp_path.iterdir())


def test_a_good_curve_becomes_float64():
    out = check_curve([[1, 2], [3, 4], [5, 6]], 0)
    assert out.dtype == np.float64
    assert out.tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
