import numpy as np
import pytest

from temdefects.geometry import curve_length, fit_spline, resample_polyline


def _spacing(points):
    return np.hypot(*np.diff(points, axis=0).T)


def _noisy_arc(n=300, radius=60.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2.0, n)
    pts = np.column_stack([radius * np.cos(t), radius * np.sin(t)])
    return np.round(pts + rng.uniform(-0.3, 0.3, pts.shape))


@pytest.mark.parametrize("n_points", [2, 7, 50, 200])
def test_exact_count_and_equal_spacing(n_points):
    curve = fit_spline(_noisy_arc(), n_points=n_points)
    assert curve.shape == (n_points, 2)
    spacing = _spacing(curve)
    assert spacing.std() / spacing.mean() < 0.01


def test_curve_follows_the_data_and_keeps_its_ends():
    pts = _noisy_arc()
    curve = fit_spline(pts, n_points=50)
    radius = np.hypot(*curve.T)
    np.testing.assert_allclose(radius, 60.0, atol=0.6)
    np.testing.assert_allclose(curve[[0, -1]], pts[[0, -1]], atol=1.0)
    assert curve_length(curve) == pytest.approx(120.0, rel=0.01)


def test_smoothing_zero_interpolates():
    x = np.linspace(0, 20, 15)
    pts = np.column_stack([x, np.sin(x / 3) * 5])
    dense = fit_spline(pts, n_points=400, smoothing=0.0)
    nearest = np.min(np.hypot(*(pts[:, None, :] - dense[None]).transpose(2, 0, 1)), axis=1)
    assert nearest.max() < 0.1


def test_default_smoothing_removes_staircase():
    # a pixel staircase along y = 0.5 x: the default fit is a straight line
    x = np.arange(60)
    pts = np.column_stack([x, np.floor(x / 2)]).astype(float)
    curve = fit_spline(pts)
    residual = curve[:, 1] - (curve[:, 0] / 2 - 0.25)
    assert np.abs(residual).max() < 0.35
    assert np.all(np.diff(curve[:, 0]) > 0)


def test_short_inputs():
    np.testing.assert_array_equal(fit_spline(np.array([[3.0, 4.0]]), n_points=5), [[3, 4]] * 5)
    two = fit_spline(np.array([[0.0, 0.0], [10.0, 0.0]]), n_points=6)
    np.testing.assert_allclose(two, np.column_stack([np.arange(0, 11, 2), np.zeros(6)]))
    three = fit_spline(np.array([[0.0, 0.0], [3.0, 0.0], [3.0, 3.0]]), n_points=7)
    np.testing.assert_allclose(_spacing(three), 1.0)
    # duplicates collapse before counting
    dup = fit_spline(np.array([[1.0, 1.0]] * 6), n_points=3)
    np.testing.assert_array_equal(dup, [[1, 1]] * 3)


def test_duplicate_points_do_not_break_the_fit():
    pts = _noisy_arc(80)
    pts = np.repeat(pts, 2, axis=0)
    curve = fit_spline(pts, n_points=30)
    assert np.isfinite(curve).all() and curve.shape == (30, 2)


@pytest.mark.parametrize(
    ("points", "kwargs", "error", "match"),
    [
        (np.zeros((0, 2)), {}, ValueError, "empty"),
        (np.zeros((5, 3)), {}, ValueError, r"\(P, 2\)"),
        (np.array([[0.0, np.nan]] * 5), {}, ValueError, "finite"),
        (np.zeros((5, 2)), {"n_points": 1}, ValueError, "n_points"),
        (np.zeros((5, 2)), {"n_points": 2.5}, TypeError, "n_points"),
        (np.zeros((5, 2)), {"smoothing": -1.0}, ValueError, "smoothing"),
    ],
)
def test_fit_spline_validation(points, kwargs, error, match):
    with pytest.raises(error, match=match):
        fit_spline(points, **kwargs)


def test_resample_polyline_equal_steps():
    pts = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 8.0]])
    out = resample_polyline(pts, n_points=7)
    np.testing.assert_allclose(_spacing(out), 2.0)
    np.testing.assert_allclose(out[[0, -1]], pts[[0, -1]])
