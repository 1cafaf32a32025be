import numpy as np
import pytest

from temdefects.geometry import curve_distance_matrix, mask_to_curve, mean_distance


def _hline(y, x0=0.0, x1=100.0, n=50):
    x = np.linspace(x0, x1, n)
    return np.column_stack([x, np.full(n, float(y))])


@pytest.mark.parametrize("to", ["segments", "points"])
def test_parallel_lines_four_px_apart(to):
    assert mean_distance(_hline(10), _hline(14), to=to) == pytest.approx(4.0, abs=1e-4)


def test_parallel_drawn_masks_four_px_apart(line_mask):
    a = mask_to_curve(line_mask((60, 120), (10, 20), (110, 20)))
    b = mask_to_curve(line_mask((60, 120), (10, 24), (110, 24)))
    assert mean_distance(a.points, b.points) == pytest.approx(4.0, abs=0.1)


def test_segments_remove_the_sampling_bias():
    a = _hline(10, n=11)  # samples every 10 px
    b = _hline(14, x0=5.0, x1=105.0, n=11)  # shifted by half a sample
    # nearest samples are sqrt(4^2 + 5^2) = 6.4 px apart
    assert mean_distance(a, b, to="points") == pytest.approx(np.hypot(4.0, 5.0), abs=1e-4)
    # to the polyline only the overhanging end sample of each line is farther than 4 px
    expected = (40.0 + np.hypot(4.0, 5.0)) / 11
    assert mean_distance(a, b) == pytest.approx(expected, abs=1e-4)


def test_point_to_segment_geometry():
    seg = np.array([[0.0, 0.0], [10.0, 0.0]])
    # beyond the end the nearest point is the end point (5 px), not the projection (4 px)
    expected = (5.0 + (np.hypot(13.0, 4.0) + 5.0) / 2) / 2
    assert mean_distance(np.array([[13.0, 4.0]]), seg) == pytest.approx(expected, abs=1e-4)
    # above the segment the projection is used
    assert mean_distance(np.array([[3.0, 2.0]]), seg, to="points") > 2.5
    assert curve_distance_matrix([np.array([[3.0, 2.0]])], [seg])[0, 0] == pytest.approx(
        (2.0 + (np.hypot(3.0, 2.0) + np.hypot(7.0, 2.0)) / 2) / 2, abs=1e-4
    )
    # single-point curves on both sides
    assert mean_distance(np.array([[1.0, 1.0]]), np.array([[4.0, 5.0]])) == pytest.approx(5.0)


def test_matrix_shape_symmetry_and_zero_diagonal():
    curves = [_hline(0), _hline(5), _hline(30, n=20), _hline(7, x0=40.0, x1=41.0, n=2)]
    d = curve_distance_matrix(curves, curves)
    assert d.shape == (4, 4)
    np.testing.assert_allclose(d, d.T, atol=1e-6)
    np.testing.assert_allclose(np.diag(d), 0.0, atol=1e-4)
    assert d[0, 1] == pytest.approx(5.0, abs=1e-4)
    assert d[0, 2] == pytest.approx(30.0, abs=1e-4)
    rect = curve_distance_matrix(curves[:2], curves[1:])
    np.testing.assert_allclose(rect, d[:2, 1:], atol=1e-6)
    assert curve_distance_matrix(curves[:2], []).shape == (2, 0)


def test_large_inputs_are_blocked_consistently():
    rng = np.random.default_rng(0)
    curves = [np.cumsum(rng.normal(size=(400, 2)), axis=0) for _ in range(12)]
    d = curve_distance_matrix(curves, curves[:3])  # 4800 x 1197 pairs: several blocks
    for i in (0, 5, 11):
        for j in range(3):
            a, b = curves[i], curves[j]
            to_b = np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1)).min(1).mean()
            to_a = np.sqrt(((b[:, None] - a[None]) ** 2).sum(-1)).min(1).mean()
            # segments are never farther than their vertices
            assert d[i, j] <= (to_b + to_a) / 2 + 1e-4
    np.testing.assert_allclose(d[:3], curve_distance_matrix(curves[:3], curves[:3]), atol=1e-5)


def test_distance_validation():
    with pytest.raises(ValueError, match="empty"):
        curve_distance_matrix([np.zeros((0, 2))], [_hline(0)])
    with pytest.raises(ValueError, match=r"curves_b\[1\]"):
        curve_distance_matrix([_hline(0)], [_hline(0), np.zeros((4, 3))])
    with pytest.raises(ValueError, match="to must be"):
        mean_distance(_hline(0), _hline(1), to="vertices")
