"""Ridge tracking with momentum (temdefects.geometry.ridges)."""

import cv2
import numpy as np
import pytest

from temdefects.geometry.ridges import ridge_fields, trace_ridges


def _map(shape, *polylines, width=3):
    p = np.zeros(shape, np.float32)
    for pts in polylines:
        cv2.polylines(p, [np.array(pts, np.int32)], False, 1.0, width)
    return cv2.GaussianBlur(p, (0, 0), 0.7)


def _distance_to(path, a, b):
    """Largest distance of the path's points to the segment a-b."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    t = np.clip(((path - a) @ (b - a)) / ((b - a) @ (b - a)), 0, 1)
    return float(np.hypot(*(path - (a + t[:, None] * (b - a))).T).max())


@pytest.mark.parametrize("angle", [0, 30, 90, 135])
def test_ridge_direction_follows_the_line_at_any_angle(angle):
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    p = _map((61, 61), [(30 - 25 * c, 30 - 25 * s), (30 + 25 * c, 30 + 25 * s)])
    _, tx, ty, across = ridge_fields(p)
    coherence = np.hypot(tx[30, 30], ty[30, 30])
    assert abs(tx[30, 30] * c + ty[30, 30] * s) / coherence > 0.99
    assert coherence > 0.9 and across[30, 30] < 0


def test_coherence_is_low_where_lines_cross():
    p = _map((61, 61), [(5, 30), (55, 30)], [(30, 5), (30, 55)])
    _, tx, ty, _ = ridge_fields(p)
    assert np.hypot(tx[30, 30], ty[30, 30]) < 0.3 < np.hypot(tx[30, 10], ty[30, 10])


def test_parallel_lines_six_px_apart_stay_two_curves():
    p = _map((50, 100), [(5, 20), (95, 20)], [(5, 26), (95, 26)], width=2)
    paths = trace_ridges(p, min_length=40)
    assert len(paths) == 2
    rows = sorted(float(np.median(q[:, 1])) for q in paths)
    assert rows == pytest.approx([20, 26], abs=1.0)


def test_crossing_lines_are_traced_through_the_crossing():
    a, b = [(5, 5), (90, 60)], [(5, 60), (90, 5)]
    paths = trace_ridges(_map((66, 96), a, b), min_length=20)
    whole = [q for q in paths if np.ptp(q[:, 0]) > 80]  # end to end, through the crossing
    assert sorted(_distance_to(q, *a) < 3.0 for q in whole) == [False, True]


def test_a_sharp_corner_ends_the_curve_unless_turns_are_allowed():
    corner = [(5, 50), (60, 50), (60, 5)]
    p = _map((60, 70), corner)
    assert len(trace_ridges(p, min_length=20)) == 2
    (whole,) = trace_ridges(p, min_length=20, max_turn=180.0)
    assert np.ptp(whole[:, 0]) > 45 and np.ptp(whole[:, 1]) > 35


def test_short_gaps_are_bridged_and_long_ones_are_not():
    short = _map((30, 120), [(5, 15), (55, 15)], [(60, 15), (115, 15)])
    assert len(trace_ridges(short, min_length=20)) == 1
    long = _map((30, 120), [(5, 15), (50, 15)], [(66, 15), (115, 15)])
    assert len(trace_ridges(long, min_length=20)) == 2


def test_empty_map_and_bad_input():
    assert trace_ridges(np.zeros((20, 20), np.float32)) == []
    with pytest.raises(ValueError, match="2D"):
        trace_ridges(np.zeros((2, 20, 20)))
    with pytest.raises(ValueError, match="threshold"):
        trace_ridges(np.zeros((20, 20)), threshold=1.5)
    with pytest.raises(ValueError, match="momentum"):
        trace_ridges(np.zeros((20, 20)), momentum=1.0)
