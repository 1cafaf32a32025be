import cv2
import numpy as np
import pytest

from temdefects.geometry import skeleton_branches, skeletonize_mask, trace_lines


def lines(*segments, shape=(160, 160), width=5):
    m = np.zeros(shape, np.uint8)
    for p0, p1 in segments:
        cv2.line(m, p0, p1, 1, width)
    return m.astype(bool)


def length(path):
    return float(np.hypot(*np.diff(path, axis=0).T).sum())


def ends(path):
    return {tuple(np.round(path[0]).astype(int)), tuple(np.round(path[-1]).astype(int))}


def near(point, target, tol=4):
    return np.hypot(point[0] - target[0], point[1] - target[1]) <= tol


def test_crossing_lines_come_out_whole():
    m = lines(((10, 20), (150, 140)), ((10, 140), (150, 25)))
    found = trace_lines(m)
    assert len(found) == 2
    for path in found:
        assert length(path) == pytest.approx(np.hypot(140, 118), rel=0.06)
        a, b = path[0], path[-1]
        assert abs(a[0] - b[0]) > 130  # from one side to the other, not turning at the crossing


def test_a_t_junction_keeps_the_bar_whole():
    bar, stem = ((10, 40), (150, 44)), ((80, 42), (84, 150))
    found = trace_lines(lines(bar, stem))
    assert len(found) == 2
    longest = max(found, key=length)
    assert length(longest) == pytest.approx(140, abs=6)
    assert any(near(e, (10, 40)) for e in longest[[0, -1]])
    assert any(near(e, (150, 44)) for e in longest[[0, -1]])


def test_gaps_are_bridged_only_when_allowed():
    m = lines(((10, 80), (70, 82)), ((82, 82), (150, 85)))
    assert len(trace_lines(m)) == 1
    assert len(trace_lines(m, max_gap=0)) == 2
    assert len(trace_lines(m, max_gap=5)) == 2  # 12 px apart: too far


def test_lines_at_a_sharp_angle_are_not_joined():
    m = lines(((10, 80), (72, 80)), ((80, 88), (80, 150)))  # a right angle, 8 px apart
    assert len(trace_lines(m)) == 2
    assert len(trace_lines(m, max_angle=100)) == 1


def test_a_thin_diagonal_is_one_branch():
    # staircase pixels of a one-pixel-wide line have three 8-neighbours but are no junctions
    sk = skeletonize_mask(lines(((5, 7), (150, 61)), width=1))
    assert len(skeleton_branches(sk)) == 1


def test_specks_empty_masks_and_probabilities():
    m = lines(((10, 80), (150, 82)))
    m[5:8, 5:8] = True  # a 9 px speck
    assert len(trace_lines(m)) == 1
    assert len(trace_lines(m, min_size=1, min_branch=1)) == 2
    assert trace_lines(np.zeros((20, 20), bool)) == []
    prob = m * 0.7
    assert len(trace_lines(prob)) == 1
    assert trace_lines(prob, threshold=0.8) == []


def test_validation():
    with pytest.raises(ValueError, match="junction_radius"):
        skeleton_branches(np.zeros((5, 5), bool), junction_radius=-1)
    with pytest.raises(ValueError, match="2"):
        trace_lines(np.zeros((2, 5, 5), bool))


def test_branches_are_ordered_pixel_paths():
    m = np.zeros((120, 160), np.uint8)
    x = np.arange(10, 150)
    pts = np.column_stack([x, 60 + 30 * np.sin(x / 20.0)]).round().astype(np.int32)
    cv2.polylines(m, [pts], False, 1, 3)
    (path,) = skeleton_branches(skeletonize_mask(m.astype(bool)))
    steps = np.hypot(*np.diff(path, axis=0).T)
    assert steps.max() <= np.sqrt(2) + 1e-9  # every step goes to a neighbouring pixel
    assert len(np.unique(path, axis=0)) == len(path)  # no pixel twice
    assert {path[0][0], path[-1][0]} <= set(range(8, 13)) | set(range(147, 152))


def test_a_ring_is_one_closed_path():
    m = np.zeros((100, 100), np.uint8)
    cv2.circle(m, (50, 50), 30, 1, 3)
    (path,) = trace_lines(m.astype(bool))
    assert length(path) == pytest.approx(2 * np.pi * 30, rel=0.1)


def test_corner_cut_splits_a_bent_path_and_leaves_smooth_arcs_whole():
    from temdefects.geometry.tracing import split_at_corners

    t = np.linspace(0, np.pi / 2, 200)
    arc = np.stack([60 * np.cos(t), 60 * np.sin(t)], 1)  # 94 px quarter circle: ~10 deg / 10 px
    assert len(split_at_corners(arc, 45)) == 1
    vee = np.concatenate([[[x, x] for x in range(40)], [[40 + x, 40 - x] for x in range(40)]])
    pieces = split_at_corners(vee.astype(float), 45)
    assert [len(p) for p in pieces] == [40, 40]
    assert np.array_equal(pieces[1][0], [40, 40])
    with pytest.raises(ValueError, match="max_turn"):
        split_at_corners(vee, 0)


def test_trace_lines_cuts_an_l_shaped_line_only_when_asked():
    m = np.zeros((80, 80), bool)
    m[10:13, 5:60] = True
    m[10:75, 57:60] = True
    assert len(trace_lines(m, min_size=1)) == 1
    assert sorted(len(c) > 40 for c in trace_lines(m, min_size=1, max_turn=45)) == [True, True]
