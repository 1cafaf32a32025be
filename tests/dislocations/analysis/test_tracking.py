import math

import numpy as np
import pytest

from temdefects.dislocations.analysis.spacing import mean_spacing, neighbour_spacing, pair_distance
from temdefects.dislocations.analysis.track_plots import distance_png, spacing_png, trajectories_png
from temdefects.dislocations.analysis.tracking import motion, track

PNG = b"\x89PNG\r\n\x1a\n"


def line(y: float, *, x0: float = 5.0, length: float = 40.0) -> np.ndarray:
    """A horizontal 50-point curve at row ``y``, pointing in +x."""
    x = np.linspace(x0, x0 + length, 50)
    return np.column_stack([x, np.full(50, float(y))])


def moving_lines(n_frames: int = 6, rows=(10.0, 30.0, 50.0), step: float = 2.0, rng=None):
    """Parallel lines moving by ``step`` px per frame in +y; later frames shuffled."""
    rng = np.random.default_rng(rng)
    frames = []
    for f in range(n_frames):
        curves = [line(y + step * f) for y in rows]
        if f:
            curves = [curves[i] for i in rng.permutation(len(curves))]
        frames.append(curves)
    return frames


def test_parallel_lines_keep_ids_and_velocity():
    result = track(moving_lines(rng=3))
    assert result.ids == [1, 2, 3] and result.n_frames == 6
    for t, y0 in zip(result.tracks, (10.0, 30.0, 50.0), strict=True):
        assert list(t.frames) == list(range(6))
        np.testing.assert_allclose(t.centroids()[:, 1], y0 + 2.0 * np.arange(6))
        speeds = t.speeds()
        assert math.isnan(speeds[0]) and np.allclose(speeds[1:], 2.0)
        np.testing.assert_allclose(t.normal_velocities()[1:], 2.0)
        assert np.isnan(t.displacements()[0]).all()


@pytest.mark.parametrize("step", [2.0, -2.0])
def test_normal_velocity_sign_ignores_stored_curve_direction(step):
    # the normal of a +x line is +y; odd frames store the curve reversed
    frames = [[line(10.0 + step * f)[:: -1 if f % 2 else 1]] for f in range(4)]
    normal = track(frames).get(1).normal_velocities()
    np.testing.assert_allclose(normal[1:], step)
    flipped = track([[c[::-1] for c in frame] for frame in frames]).get(1)
    np.testing.assert_allclose(flipped.normal_velocities()[1:], -step)


def test_motion_rows_follow_tracks():
    rows = motion(track(moving_lines(n_frames=3)))
    assert [(r.track, r.frame) for r in rows] == [(t, f) for t in (1, 2, 3) for f in range(3)]
    second = rows[1]
    assert second.dy == pytest.approx(2.0) and second.dx == pytest.approx(0.0)
    assert second.velocity == pytest.approx(2.0) and second.step == 1.0
    assert math.isnan(rows[0].velocity) and rows[0].y == pytest.approx(10.0)


@pytest.mark.parametrize(
    "missing,max_gap,same_id",
    [
        ([2], 1, True),
        ([2], 2, True),
        ([2], 0, False),
        ([2, 3], 1, False),
        ([2, 3], 2, True),
    ],
)
def test_gap_handling(missing, max_gap, same_id):
    frames = moving_lines(rng=0)
    for f in missing:
        frames[f] = [c for c in frames[f] if abs(c[0, 1] - (30.0 + 2 * f)) > 1]
    result = track(frames, max_gap=max_gap)
    middle = [t for t in result.tracks if abs(t.centroids()[0, 1] - 30.0) < 1]
    assert len(middle) == 1 and middle[0].id == 2
    after = [f for f in range(6) if f not in missing]
    if same_id:
        assert result.ids == [1, 2, 3] and list(middle[0].frames) == after
        resumed = list(middle[0].frames).index(max(missing) + 1)
        assert middle[0].speeds()[resumed] == pytest.approx(2.0)
        assert middle[0].displacements()[resumed, 1] == pytest.approx(2.0 * (len(missing) + 1))
    else:
        assert result.ids == [1, 2, 3, 4] and list(middle[0].frames) == [0, 1]
        assert list(result.get(4).frames) == after[2:]


def test_new_curve_in_frame_3_gets_id_4():
    frames = moving_lines(rng=1)
    for f in range(3, 6):
        frames[f].insert(0, line(70.0 + 2 * f))
    result = track(frames)
    assert result.ids == [1, 2, 3, 4]
    assert list(result.get(4).frames) == [3, 4, 5]
    assert result.get(4).centroids()[0, 1] == pytest.approx(76.0)


@pytest.mark.parametrize("max_distance,n_tracks", [(20.0, 2), (29.0, 2), (31.0, 1)])
def test_curves_farther_than_max_distance_are_not_linked(max_distance, n_tracks):
    result = track([[line(10.0)], [line(40.0)]], max_distance=max_distance)
    assert len(result.tracks) == n_tracks


def test_matching_is_one_to_one_and_links_as_many_as_possible():
    # greedy nearest-first would link A to y=1 and leave B (too far from y=-5) unmatched
    result = track([[line(0.0), line(6.0)], [line(1.0), line(-5.0)]], max_distance=10.0)
    assert result.ids == [1, 2]
    assert result.get(1).centroids()[1, 1] == pytest.approx(-5.0)
    assert result.get(2).centroids()[1, 1] == pytest.approx(1.0)
    shared = track([[line(10.0), line(16.0)], [line(13.0)]], max_distance=10.0)
    assert sorted(len(t) for t in shared.tracks) == [1, 2]


def test_min_track_length_drops_short_tracks_and_renumbers():
    frames = moving_lines(n_frames=4, rng=2)
    frames[1].append(line(90.0))  # seen once
    frames[2].append(line(120.0))
    frames[3].append(line(122.0))  # seen twice
    assert len(track(frames).tracks) == 5
    result = track(frames, min_track_length=2)
    assert result.ids == [1, 2, 3, 4]
    assert list(result.get(4).frames) == [2, 3]
    assert len(track(frames, min_track_length=4).tracks) == 3


def test_empty_frames_and_present():
    assert track([[], []]).tracks == () and track([]).n_frames == 0
    result = track([[line(0.0)], [], [line(1.0), line(40.0)]])
    assert [i for i, _ in result.present(2)] == [1, 2] and result.present(1) == []
    with pytest.raises(ValueError, match="no track with id 7"):
        result.get(7)


@pytest.mark.parametrize(
    "frames,kwargs,message",
    [
        ([[np.zeros((5, 3))]], {}, r"frames\[0\]\[0\]: expected a \(P, 2\)"),
        ([[line(0)], [np.full((4, 2), np.nan)]], {}, r"frames\[1\]\[0\]: points must be finite"),
        ([[line(0)]], {"max_gap": -1}, "max_gap"),
        ([[line(0)]], {"max_distance": float("inf")}, "max_distance"),
        ([[line(0)]], {"min_track_length": 0}, "min_track_length"),
    ],
)
def test_invalid_input(frames, kwargs, message):
    with pytest.raises(ValueError, match=message):
        track(frames, **kwargs)


def test_track_curves_are_read_only():
    t = track([[line(0.0)]]).get(1)
    with pytest.raises(ValueError, match="read-only"):
        t.curves[0][0, 0] = 1.0


def test_nearest_neighbour_spacing():
    frames = moving_lines(n_frames=3, rows=(10.0, 20.0, 34.0), rng=4)
    result = track(frames, max_distance=4.0)
    rows = neighbour_spacing(result)
    assert [(r.frame, r.track, r.neighbour) for r in rows] == [
        (f, t, n) for f in range(3) for t, n in ((1, 2), (2, 1), (3, 2))
    ]
    np.testing.assert_allclose([r.distance for r in rows], [10.0, 10.0, 14.0] * 3, atol=1e-4)
    assert mean_spacing(rows) == pytest.approx(34.0 / 3, abs=1e-4)
    assert math.isnan(mean_spacing([])) and neighbour_spacing(track([[line(0)]])) == []


def test_pair_distance():
    frames = moving_lines(n_frames=5, rows=(10.0, 20.0, 34.0), rng=5)
    frames[2] = frames[2][:1] if frames[2][0][0, 1] == 10.0 + 4 else [line(14.0)]
    result = track(frames, max_distance=4.0)
    frames_12, d12 = pair_distance(result, 1, 2)
    assert list(frames_12) == [0, 1, 3, 4]
    np.testing.assert_allclose(d12, 10.0, atol=1e-4)
    frames_32, d32 = pair_distance(result, 3, 2)
    assert list(frames_32) == [0, 1, 3, 4] and np.allclose(d32, 14.0, atol=1e-4)
    with pytest.raises(ValueError, match="two different tracks"):
        pair_distance(result, 2, 2)
    with pytest.raises(ValueError, match="no track with id 9"):
        pair_distance(result, 1, 9)


def test_plots_are_png():
    result = track(moving_lines(n_frames=3))
    assert trajectories_png(result, shape=(64, 96)).startswith(PNG)
    assert spacing_png(neighbour_spacing(result), pixel_size=0.5).startswith(PNG)
    assert distance_png({}).startswith(PNG)
