import numpy as np
import pytest

from temdefects.geometry import CurveResult, mask_to_curve, mask_to_curves


def test_line_to_curve(hline):
    result = mask_to_curve(hline)
    assert isinstance(result, CurveResult)
    assert result.points.shape == (50, 2)
    assert result.length == pytest.approx(80.0, abs=2.01)
    assert result.length == result.stats.length
    np.testing.assert_allclose(result.points[:, 1], 20.0, atol=1e-6)
    assert np.all(np.diff(result.points[:, 0]) > 0)
    assert result.n_skeleton_pixels == len(result.path)
    spacing = np.hypot(*np.diff(result.points, axis=0).T)
    assert spacing.std() / spacing.mean() < 0.01


def test_n_points_option(hline):
    assert mask_to_curve(hline, n_points=17).points.shape == (17, 2)


def test_takes_the_larger_of_two_lines(two_lines):
    result = mask_to_curve(two_lines)
    np.testing.assert_allclose(result.points[:, 1], 10.0, atol=1e-6)
    assert result.length == pytest.approx(80.0, abs=2.01)


def test_spur_does_not_change_the_curve(hline, hline_with_spur):
    plain, spurred = mask_to_curve(hline), mask_to_curve(hline_with_spur)
    assert spurred.n_skeleton_pixels > len(spurred.path)
    assert spurred.length == pytest.approx(plain.length, abs=2.0)
    assert np.abs(spurred.points[:, 1] - 20.0).max() < 1.0


def test_probability_mask_matches_binary(hline):
    prob = np.where(hline, 0.7, 0.2)
    np.testing.assert_array_equal(mask_to_curve(prob).points, mask_to_curve(hline).points)


def test_empty_small_and_single_pixel_masks():
    mask = np.zeros((20, 20), bool)
    assert mask_to_curve(mask) is None
    mask[5, 7] = True
    assert mask_to_curve(mask) is None  # below the default min_size
    single = mask_to_curve(mask, min_size=0, n_points=4)
    np.testing.assert_array_equal(single.points, [[7, 5]] * 4)
    assert single.length == 0.0 and single.n_skeleton_pixels == 1
    assert mask_to_curves(mask) == []


def test_mask_to_curves_one_per_component(two_lines):
    curves = mask_to_curves(two_lines, min_size=10)
    assert len(curves) == 2
    np.testing.assert_allclose(curves[0].points[:, 1], 10.0, atol=1e-6)
    np.testing.assert_allclose(curves[1].points[:, 1], 40.0, atol=1e-6)
    assert curves[0].length > curves[1].length
    np.testing.assert_array_equal(curves[0].points, mask_to_curve(two_lines).points)
    assert len(mask_to_curves(two_lines, min_size=400)) == 1


def test_mask_validation():
    with pytest.raises(ValueError, match="2-D"):
        mask_to_curve(np.zeros((1, 10, 10)))
    with pytest.raises(ValueError, match="2-D"):
        mask_to_curves(np.zeros((1, 10, 10)))


def test_curves_at_the_image_border():
    mask = np.zeros((30, 40), bool)
    mask[0:3, :] = True  # along the top edge
    mask[10:30, 37:40] = True  # along the bottom right
    top, right = mask_to_curves(mask, min_size=1)
    np.testing.assert_allclose(top.points[:, 1], 1.0, atol=1e-6)
    assert top.points[0, 0] <= 1.0 and top.points[-1, 0] >= 38.0
    np.testing.assert_allclose(right.points[:, 0], 38.0, atol=1e-6)
    np.testing.assert_allclose(mask_to_curve(mask, min_size=1).points, top.points)
