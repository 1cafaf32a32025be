import cv2
import numpy as np
import pytest

from temdefects.loops.geometry import (
    areal_density,
    defect_area,
    defect_diameter,
    detect_polarity,
    ellipse_from_moments,
    ellipse_from_points,
    fit_defects,
    px_to_nm,
)


def _angle_diff(a: float, b: float) -> float:
    d = abs(a - b) % 180.0
    return min(d, 180.0 - d)


def _scene(*, angle, polarity, rng, thickness=-1, axes=(12, 6), noise=8.0):
    """64x64 image with one ellipse centred at (31, 30); its box with 3 px slack."""
    bg, fg = (170.0, 60.0) if polarity == "dark" else (60.0, 200.0)
    img = np.full((64, 64), bg)
    cv2.ellipse(img, (31, 30), axes, angle, 0, 360, fg, thickness)
    img += rng.normal(0.0, noise, img.shape)
    ys, xs = np.nonzero(np.abs(img - bg) > 0.5 * abs(fg - bg) + 3 * noise)
    box = [xs.min() - 3, ys.min() - 3, xs.max() - xs.min() + 7, ys.max() - ys.min() + 7]
    return img, np.array([box], float)


@pytest.mark.parametrize("polarity", ["dark", "bright"])
@pytest.mark.parametrize("angle", [0, 35, 120])
def test_fit_recovers_axes_and_angle_of_a_solid_ellipse(polarity, angle):
    rng = np.random.default_rng(angle)
    img, box = _scene(angle=angle, polarity=polarity, rng=rng)
    g = fit_defects(img, box, ["loop100"])
    x, y, major, minor, ang = g.ellipses[0]
    assert g.polarity == polarity and g.method == ("ellipse",)
    assert abs(x - 31) < 0.7 and abs(y - 30) < 0.7
    # cv2.ellipse draws semi-axes (12, 6) inclusive of the rim: full axes 24-25 and 12-13
    assert 23.0 < major < 26.5 and 11.0 < minor < 14.0
    assert _angle_diff(ang, angle) < 5.0
    assert g.diameter[0] == pytest.approx(major)
    assert g.area[0] == pytest.approx(np.pi * major * minor / 4)


@pytest.mark.parametrize("polarity", ["dark", "bright"])
def test_open_ring_gives_the_outer_ellipse(polarity):
    rng = np.random.default_rng(1)
    img, box = _scene(angle=60, polarity=polarity, rng=rng, thickness=2, axes=(16, 9))
    g = fit_defects(img, box, ["loop111"], polarity=polarity)
    _, _, major, minor, ang = g.ellipses[0]
    assert 31.0 < major < 36.0 and 17.0 < minor < 22.0
    assert _angle_diff(ang, 60) < 5.0


def test_dot_diameter_is_the_geometric_mean_of_the_axes():
    rng = np.random.default_rng(2)
    img, box = _scene(angle=0, polarity="dark", rng=rng, axes=(8, 4))
    g = fit_defects(img, box, ["dot"])
    major, minor = g.ellipses[0, 2:4]
    assert g.diameter[0] == pytest.approx(np.sqrt(major * minor))
    assert g.diameter[0] < major - 3


def test_flat_box_falls_back_to_the_inscribed_ellipse():
    img = np.full((40, 40), 100.0)
    g = fit_defects(img, [[5, 6, 10, 20]], ["loop111"], polarity="dark")
    assert g.method == ("box",)
    np.testing.assert_allclose(g.ellipses[0], [9.5, 15.5, 20, 10, 90])


def test_tiny_region_uses_moments():
    img = np.full((30, 30), 200.0)
    img[14:16, 14:16] = 0.0
    g = fit_defects(img, [[12, 12, 6, 6]], ["dot"], polarity="dark", sigma=0)
    assert g.method == ("moments",)
    assert g.ellipses[0, :2] == pytest.approx([14.5, 14.5])


def test_auto_polarity_takes_the_majority_and_empty_input():
    rng = np.random.default_rng(3)
    img, box = _scene(angle=0, polarity="bright", rng=rng)
    assert detect_polarity(img, box) == "bright"
    assert detect_polarity(img.max() - img, box) == "dark"
    g = fit_defects(img, np.zeros((0, 4)), [])
    assert g.ellipses.shape == (0, 5) and g.method == ()


def test_fit_rejects_bad_input():
    img = np.zeros((20, 20))
    with pytest.raises(ValueError, match="2D"):
        fit_defects(np.zeros((2, 20, 20)), [[0, 0, 5, 5]], ["dot"])
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        fit_defects(img, [[0, 0, 5]], ["dot"])
    with pytest.raises(ValueError, match="width and height"):
        fit_defects(img, [[0, 0, 0, 5]], ["dot"])
    with pytest.raises(ValueError, match="polarity"):
        fit_defects(img, [[0, 0, 5, 5]], ["dot"], polarity="grey")
    with pytest.raises(ValueError, match="unknown class 'void'"):
        fit_defects(img, [[0, 0, 5, 5]], ["void"])
    with pytest.raises(ValueError, match="1 boxes but 2 classes"):
        fit_defects(img, [[0, 0, 5, 5]], ["dot", "dot"])


def test_ellipse_from_points_and_moments():
    img = np.zeros((60, 60), np.uint8)
    cv2.ellipse(img, (30, 28), (20, 8), 150, 0, 360, 1, -1)
    contours, _ = cv2.findContours(img, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    x, y, major, minor, ang = ellipse_from_points(contours[0].reshape(-1, 2))
    assert (x, y) == pytest.approx((30, 28), abs=0.3)
    assert major == pytest.approx(40, abs=1.0) and minor == pytest.approx(16, abs=1.0)
    assert _angle_diff(ang, 150) < 1.0
    mx, my, mmaj, mmin, mang = ellipse_from_moments(img.astype(bool))
    assert (mmaj, mmin) == pytest.approx((41, 17), abs=1.0)
    assert _angle_diff(mang, 150) < 1.0
    assert ellipse_from_points(np.zeros((4, 2))) is None
    assert ellipse_from_moments(np.zeros((5, 5), bool)) is None


def test_diameter_area_density_and_units():
    d = defect_diameter([20.0, 20.0, 8.0], [10.0, 10.0, 2.0], ["loop111", "loop100", "dot"])
    np.testing.assert_allclose(d, [20.0, 20.0, 4.0])
    np.testing.assert_allclose(defect_area([20.0], [10.0]), [50 * np.pi])
    assert areal_density([50 * np.pi, 0.0, np.nan], [1000.0, 1000.0]) == pytest.approx(
        50 * np.pi / 2000
    )
    assert areal_density([], [10.0]) == 0.0
    with pytest.raises(ValueError, match="image area"):
        areal_density([1.0], [])
    with pytest.raises(ValueError, match="image area"):
        areal_density([1.0], [10.0, 0.0])
    with pytest.raises(ValueError, match="unknown class"):
        defect_diameter([1.0], [1.0], ["hcloop"])
    with pytest.raises(ValueError, match="major"):
        defect_diameter([1.0, 2.0], [1.0], ["dot"])
    np.testing.assert_allclose(px_to_nm([2.0, 3.0], 0.25), [0.5, 0.75])
    assert px_to_nm(16.0, 0.25, power=2) == pytest.approx(1.0)
    assert px_to_nm(1.0, 0.5, power=-2) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="pixel_size"):
        px_to_nm(1.0, 0.0)


def test_fit_is_repeatable_on_thin_regions():
    # a 1 px line in a box: cv2.fitEllipse on its outline varied from call to call
    img = np.full((64, 64), 200, np.uint8)
    img[10:40, 30] = 40
    boxes = np.array([[27.0, 8.0, 6.0, 34.0]])
    runs = [fit_defects(img, boxes, ["dot"], polarity="dark") for _ in range(5)]
    for g in runs[1:]:
        np.testing.assert_array_equal(g.ellipses, runs[0].ellipses)
    x, y, major, minor, angle = runs[0].ellipses[0]
    assert major > 25 and minor < 3 and abs(angle - 90) < 5
