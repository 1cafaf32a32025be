import cv2
import numpy as np
import pytest

from temdefects.dislocations.analysis.postprocess import PostprocessOptions, edge_share, postprocess


def line_mask(p0, p1, shape=(128, 128), width=5):
    m = np.zeros(shape, np.uint8)
    cv2.line(m, p0, p1, 1, width)
    return m.astype(bool)


A = line_mask((10, 20), (110, 30))
B = line_mask((20, 80), (100, 110))
C = line_mask((60, 5), (64, 60))


def stack(*masks, values=None):
    values = values or [0.9] * len(masks)
    return np.stack([m * v for m, v in zip(masks, values, strict=True)]).astype(np.float32)


MASKS = PostprocessOptions(method="masks")


@pytest.mark.parametrize("method", ["trace", "masks", "ridge"])
def test_one_curve_per_dislocation_with_fifty_points(method):
    found = postprocess(stack(A, B, C), options=PostprocessOptions(method=method))
    assert len(found) == 3 and [d.id for d in found] == [1, 2, 3]
    for d in found:
        assert d.points.shape == (50, 2)
        seg = np.hypot(*np.diff(d.points, axis=0).T)
        assert seg.std() / seg.mean() < 0.02  # equally spaced
    lengths = sorted(d.length for d in found)
    # ridge follows the map to the end of the line's round cap (2.5 px each end)
    assert lengths[-1] == pytest.approx(np.hypot(100, 10), abs=6 if method == "ridge" else 4)


def test_duplicates_are_merged_keeping_the_most_confident():
    shifted = np.roll(A, 1, axis=0)
    found = postprocess(stack(A, shifted, B, values=[0.6, 0.95, 0.9]), options=MASKS)
    assert len(found) == 2
    assert {d.channel for d in found} == {1, 2}  # channel 0 was the weaker copy


def test_disjoint_pieces_in_one_mask_are_split():
    found = postprocess(stack(A | B), options=MASKS)
    assert len(found) == 2


@pytest.mark.parametrize("method", ["trace", "masks", "ridge"])
def test_empty_tiny_and_short_masks_are_dropped(method):
    tiny = np.zeros((128, 128), bool)
    tiny[5:8, 5:8] = True
    short = line_mask((40, 100), (47, 100))
    probs = stack(A, tiny, short, np.zeros((128, 128), bool))
    found = postprocess(
        probs, options=PostprocessOptions(method=method, min_size=30, min_length=20)
    )
    assert len(found) == 1


def test_objectness_gates_and_scores():
    probs = stack(A, B)
    found = postprocess(
        probs,
        objectness=np.array([0.9, 0.1]),
        options=PostprocessOptions(method="masks", min_objectness=0.5),
    )
    assert len(found) == 1 and found[0].channel == 0
    assert found[0].score == pytest.approx(0.9 * 0.9, rel=1e-5)


def test_validation():
    with pytest.raises(ValueError, match="expected"):
        postprocess(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="objectness"):
        postprocess(stack(A), objectness=np.ones(3))
    with pytest.raises(ValueError, match="threshold"):
        PostprocessOptions(threshold=1.5)


def test_pieces_of_one_line_in_different_masks_are_joined():
    # one straight dislocation cut by the network into two masks with a 6 px gap
    left, right = line_mask((10, 60), (55, 62)), line_mask((61, 62), (115, 65))
    across = line_mask((58, 80), (60, 125))  # ends near the gap but at right angles
    found = postprocess(stack(left, right, across), options=MASKS)
    assert len(found) == 2
    joined = max(found, key=lambda d: d.length)
    assert joined.length == pytest.approx(np.hypot(105, 5), abs=4)
    assert joined.points.shape == (50, 2)
    off = postprocess(
        stack(left, right, across), options=PostprocessOptions(method="masks", join_gap=0)
    )
    assert len(off) == 3


def test_partial_copies_of_a_found_line_are_dropped():
    piece = line_mask((40, 24), (65, 26))  # a quarter of A (Dice 0.4: no duplicate)
    assert len(postprocess(stack(A, piece, B), options=MASKS)) == 2
    kept = postprocess(
        stack(A, piece, B), options=PostprocessOptions(method="masks", drop_covered=0)
    )
    assert len(kept) == 3


def test_joining_options_are_validated():
    with pytest.raises(ValueError, match="join_gap"):
        PostprocessOptions(join_gap=-1)
    with pytest.raises(ValueError, match="drop_covered"):
        PostprocessOptions(drop_covered=1.5)


def test_method_defaults_and_validation():
    trace, masks = PostprocessOptions(), PostprocessOptions(method="masks")
    assert trace.method == "trace"
    assert (trace.join_gap, trace.join_angle, trace.min_length) == (60.0, 60.0, 25.0)
    assert (masks.join_gap, masks.join_angle, masks.min_length) == (15.0, 30.0, 10.0)
    ridge = PostprocessOptions(method="ridge")
    assert (ridge.join_gap, ridge.join_angle, ridge.min_length) == (6.0, 35.0, 25.0)
    assert PostprocessOptions(join_gap=7).join_gap == 7
    with pytest.raises(ValueError, match="method"):
        PostprocessOptions(method="nonsense")


def test_ridge_follows_crossing_lines_and_stops_where_a_line_turns_into_another():
    across = line_mask((64, 5), (60, 122))
    found = postprocess(stack(A | across), options=PostprocessOptions(method="ridge"))
    lengths = sorted(d.length for d in found)
    assert len(found) == 2
    assert lengths == pytest.approx([np.hypot(100, 10), np.hypot(117, 4)], abs=6)
    # one line ends where another starts at a right angle: two dislocations for
    # ridge; the skeleton tracer chains them into one (its corner cut is off)
    corner = line_mask((10, 100), (70, 100)) | line_mask((70, 100), (70, 20))
    assert len(postprocess(stack(corner), options=PostprocessOptions(method="ridge"))) == 2
    assert len(postprocess(stack(corner))) == 1


def test_trace_separates_crossing_lines_held_in_one_channel():
    # the paper's method sees one mask, hence one dislocation; tracing finds both
    across = line_mask((64, 5), (60, 122))
    probs = stack(A | across)
    assert len(postprocess(probs, options=MASKS)) == 1
    found = postprocess(probs)
    assert len(found) == 2
    lengths = sorted(d.length for d in found)
    assert lengths[0] == pytest.approx(np.hypot(100, 10), abs=5)
    assert lengths[1] == pytest.approx(np.hypot(117, 4), abs=5)


def test_trace_joins_one_line_split_over_channels_and_reports_its_channel():
    left, right = line_mask((10, 60), (70, 62)), line_mask((60, 62), (115, 65))
    found = postprocess(stack(left, right, B, values=[0.9, 0.6, 0.8]))
    assert len(found) == 2
    joined = max(found, key=lambda d: d.length)
    assert joined.length == pytest.approx(np.hypot(105, 5), abs=4)
    assert joined.channel == 0  # most of its pixels come from channel 0
    other = min(found, key=lambda d: d.length)
    assert other.channel == 2 and other.score == pytest.approx(0.8, rel=1e-5)


def test_trace_objectness_gates_channels_and_scales_scores():
    probs = stack(A, B)
    found = postprocess(
        probs, objectness=np.array([0.9, 0.1]), options=PostprocessOptions(min_objectness=0.5)
    )
    assert len(found) == 1 and found[0].channel == 0
    assert found[0].score == pytest.approx(0.9 * 0.9, rel=1e-5)
    assert found[0].area > 0


def test_edge_share_counts_points_near_any_side():
    pts = np.array([[0.5, 50.0], [126.0, 60.0], [60.0, 1.0], [60.0, 125.5], [60.0, 60.0]])
    assert edge_share(pts, (128, 128), 3.0) == pytest.approx(0.8)
    assert edge_share(pts, (128, 128), 0.25) == 0.0
    assert edge_share(np.zeros((0, 2)), (128, 128), 3.0) == 0.0


@pytest.mark.parametrize("method", ["trace", "masks"])
def test_lines_along_the_frame_edge_are_dropped(method):
    rim = line_mask((126, 10), (126, 110), width=3)  # along the right edge
    inside = line_mask((100, 10), (100, 110), width=3)  # the same line 26 px in
    along = postprocess(stack(rim, A), options=PostprocessOptions(method=method))
    assert len(along) == 1 and along[0].points[:, 0].max() < 115  # only A is left
    assert len(postprocess(stack(inside, A), options=PostprocessOptions(method=method))) == 2
    off = PostprocessOptions(method=method, edge_margin=0)
    assert len(postprocess(stack(rim, A), options=off)) == 2
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="edge_margin"):
            PostprocessOptions(edge_margin=bad)
