import numpy as np
import pytest
from scipy.interpolate import CubicSpline

from temdefects.synth.curves import (
    add_roughness,
    natural_cubic,
    polyline_length,
    resample,
    spline_through,
    visible_segments,
)


@pytest.mark.parametrize("k", [2, 3, 5, 9, 24])
def test_natural_cubic_equals_scipy(k):
    rng = np.random.default_rng(k)
    t = np.cumsum(rng.uniform(0.5, 20.0, k))
    y = rng.normal(0, 30, (k, 2))
    at = np.linspace(t[0], t[-1], 333)
    ours = natural_cubic(t, y, at)
    ref = CubicSpline(t, y, bc_type="natural", axis=0)(at)
    assert np.allclose(ours, ref, atol=1e-9, rtol=0)
    assert np.allclose(natural_cubic(t, y, t), y, atol=1e-9)  # interpolates


def test_spline_through_passes_support_points_with_small_steps():
    support = np.array([[0.0, 0.0], [40.0, 12.0], [80.0, 5.0], [120.0, 30.0]])
    dense = spline_through(support, spacing=0.5)
    steps = np.hypot(*np.diff(dense, axis=0).T)
    assert steps.max() <= 0.5 + 1e-9
    for p in support:
        assert np.hypot(*(dense - p).T).min() < 0.3


def test_resample_and_length():
    line = np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 10.0]])
    assert polyline_length(line) == pytest.approx(11.0)
    even = resample(line, 1.0)
    assert polyline_length(even) == pytest.approx(11.0)
    assert np.allclose(np.hypot(*np.diff(even, axis=0).T), 1.0)


def test_roughness_keeps_the_ends_and_its_amplitude():
    line = resample(np.array([[0.0, 50.0], [400.0, 50.0]]), 1.0)
    rough = add_roughness(line, 0.6, 8.0, seed=3, spacing=1.0)
    assert np.allclose(rough[[0, -1]], line[[0, -1]])
    dev = rough[50:-50, 1] - 50.0
    assert dev.std() == pytest.approx(0.6, rel=0.3)
    assert np.array_equal(rough, add_roughness(line, 0.6, 8.0, seed=3, spacing=1.0))


def test_visible_segments_split_at_the_border():
    line = np.column_stack([np.linspace(-10, 50, 61), np.full(61, 5.0)])
    segs = visible_segments(line, (20, 30))
    assert len(segs) == 1 and segs[0][0, 0] >= -0.5 and segs[0][-1, 0] <= 29.5
