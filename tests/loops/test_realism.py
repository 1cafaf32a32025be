"""Realism statistics of loop images: grain, mottle, defect depth and density."""

import numpy as np
import pytest

from temdefects.loops.realism import defect_stats, density, summarise, texture


def test_texture_separates_grain_from_mottle():
    rng = np.random.default_rng(0)
    flat = np.full((256, 256), 100.0)
    noisy = flat + rng.normal(0, 10, flat.shape)
    yy = np.mgrid[:256, :256][0]
    wavy = flat + 30 * np.sin(2 * np.pi * yy / 128)
    tn, tw = texture(noisy), texture(wavy)
    assert tn["grain"] == pytest.approx(0.1 * 0.93, rel=0.1)  # white noise minus its 2 px blur
    assert tn["mottle"] < 0.02
    assert tw["grain"] < 0.01 and tw["mottle"] == pytest.approx(0.3 / np.sqrt(2), rel=0.1)
    with pytest.raises(ValueError, match="2D"):
        texture(np.zeros((3, 4, 4)))


def test_defect_depth_and_visibility():
    img = np.full((200, 200), 100.0)
    yy, xx = np.mgrid[:200, :200]
    img[(yy - 100) ** 2 + (xx - 60) ** 2 <= 15**2] = 40.0  # 60 % darker
    img[(yy - 100) ** 2 + (xx - 150) ** 2 <= 15**2] = 130.0  # 30 % brighter
    img += np.random.default_rng(1).normal(0, 2, img.shape)
    boxes = np.array([[45, 85, 31, 31], [135, 85, 31, 31], [-100, -100, 5, 5]])
    s = defect_stats(img, boxes)
    assert s["size"].tolist() == [31, 31, 5]
    assert s["depth"][0] == pytest.approx(0.6, abs=0.05)
    assert s["depth"][1] == pytest.approx(-0.3, abs=0.05)
    assert np.isnan(s["depth"][2])  # outside the image
    assert s["visibility"][0] > 10


def test_density_and_summary():
    assert density(5, (1000, 500)) == 10.0
    assert summarise([1.0, 2.0, np.nan, 3.0], (0.0, 0.5, 1.0)) == [1.0, 2.0, 3.0]
    assert np.isnan(summarise([np.nan])[0])


def test_blob_extent_is_the_half_depth_diameter_over_the_box():
    from temdefects.loops.realism import blob_extent

    yy, xx = np.mgrid[:160, :160]
    sigma = 8.0
    img = 200.0 - 120.0 * np.exp(-((yy - 80) ** 2 + (xx - 80) ** 2) / (2 * sigma**2))
    fwhm = 2.355 * sigma  # the half-depth region of a Gaussian blob
    tight = fwhm / 1.5  # a label around the core only
    boxes = np.array([[80 - tight / 2, 80 - tight / 2, tight, tight], [-50, -50, 5, 5]])
    ext = blob_extent(img, boxes)
    assert ext[0] == pytest.approx(1.5, rel=0.08)
    assert np.isnan(ext[1])
