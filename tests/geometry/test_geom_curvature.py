import math

import numpy as np
import pytest

from temdefects.geometry import CurveStats, curvature, curve_length, curve_stats, mask_to_curve


def _circle(radius, n=50, turns=1.0):
    t = np.linspace(0, 2 * np.pi * turns, n)
    return np.column_stack([radius * np.cos(t) + 100, radius * np.sin(t) + 100])


@pytest.mark.parametrize("radius", [5.0, 20.0, 150.0])
def test_circle_curvature(radius):
    kappa = curvature(_circle(radius))
    assert kappa.shape == (50,)
    assert np.mean(np.abs(kappa)) == pytest.approx(1 / radius, rel=0.02)
    assert np.all(kappa > 0)  # counter-clockwise in (x, y): positive


def test_curvature_sign_flips_with_direction():
    pts = _circle(10.0, turns=0.5)
    np.testing.assert_allclose(curvature(pts[::-1]), -curvature(pts)[::-1])


def test_straight_line_has_zero_curvature():
    x = np.linspace(0, 30, 20)
    np.testing.assert_allclose(curvature(np.column_stack([x, 0.5 * x])), 0.0, atol=1e-12)


def test_repeated_points_and_short_curves():
    assert curvature(np.array([[1.0, 1.0]] * 4)).tolist() == [0.0] * 4
    assert curvature(np.zeros((2, 2))).shape == (2,)


def test_curve_length():
    assert curve_length(np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 10.0]])) == 11.0
    assert curve_length(np.array([[5.0, 5.0]])) == 0.0
    assert curve_length(_circle(10.0, n=400)) == pytest.approx(2 * math.pi * 10, rel=1e-3)


def test_curve_stats_half_circle():
    stats = curve_stats(_circle(10.0, n=50, turns=0.5))
    assert isinstance(stats, CurveStats)
    assert stats.chord == pytest.approx(20.0)
    assert stats.length == pytest.approx(10 * math.pi, rel=1e-3)
    assert stats.tortuosity == pytest.approx(math.pi / 2, rel=1e-3)
    assert stats.mean_abs_curvature == pytest.approx(0.1, rel=1e-9)
    assert stats.max_abs_curvature == pytest.approx(0.1, rel=1e-9)
    with pytest.raises(AttributeError):
        stats.length = 1.0  # frozen


def test_curve_stats_degenerate():
    stats = curve_stats(np.array([[2.0, 2.0]] * 3))
    assert stats.length == 0.0 and stats.chord == 0.0 and math.isnan(stats.tortuosity)
    with pytest.raises(ValueError, match="empty"):
        curve_stats(np.zeros((0, 2)))


@pytest.mark.parametrize("radius", [40, 90])
def test_curvature_and_length_of_a_drawn_arc(arc_mask, radius):
    # 140 degrees of a 5 px wide arc: skeleton + spline keep curvature within ~6 %
    result = mask_to_curve(arc_mask(radius, start=20, end=160))
    assert result.stats.mean_abs_curvature == pytest.approx(1 / radius, rel=0.08)
    inner = np.abs(curvature(result.points))[12:-12]
    np.testing.assert_allclose(inner, 1 / radius, rtol=0.15)
    assert result.length == pytest.approx(radius * math.radians(140), rel=0.04)
