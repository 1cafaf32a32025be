import numpy as np
import pytest

from temdefects.metrics.curvematch import (
    centreline_scores,
    match_by_distance,
    mean_distance_matrix,
    resample_polyline,
)


def line(x0, y0, x1, y1, n=60):
    return np.column_stack([np.linspace(x0, x1, n), np.linspace(y0, y1, n)])


def test_resample_polyline_spacing_and_ends():
    out = resample_polyline(np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 4.0]]), step=0.5)
    assert np.allclose(out[0], [0, 0]) and np.allclose(out[-1], [10, 4])
    assert np.hypot(*np.diff(out, axis=0).T).max() <= 0.5 + 1e-9
    assert resample_polyline(np.array([[3.0, 4.0]])).shape == (1, 2)
    with pytest.raises(ValueError):
        resample_polyline(np.zeros((0, 2)))


def test_mean_distance_is_symmetric_max_of_both_means():
    lab = line(0, 0, 100, 0)
    # parallel 2 px away and same extent: both means are 2
    assert mean_distance_matrix([lab], [line(0, 2, 100, 2)])[0, 0] == pytest.approx(2.0, abs=0.01)
    # the curve runs on 100 px past the stroke: label->curve mean is 0, but
    # curve->label mean is about 25, so the pair fails a 3 px rule
    long = line(0, 0, 200, 0, n=120)
    d = mean_distance_matrix([lab], [long])[0, 0]
    assert d == pytest.approx(25.0, abs=0.5)
    # bounding boxes further apart than max_distance are not measured
    assert np.isinf(mean_distance_matrix([lab], [line(0, 50, 100, 50)], max_distance=3)[0, 0])


def test_match_by_distance_one_to_one_and_strict():
    labels = [line(0, 0, 100, 0), line(0, 6, 100, 6), line(0, 40, 100, 40)]
    preds = [
        line(0, 1, 100, 1),  # first line, 1 px off
        line(0, 6.5, 100, 6.5),  # second line
        line(0, 40, 50, 40),  # half of the third: curve->label 0, label->curve ~12.5
        line(0, 0.5, 100, 0.5),  # duplicate of the first
    ]
    m = match_by_distance(labels, preds, max_distance=3)
    assert m.matched == 2
    assert {(r, c) for r, c, _ in m.pairs} == {(0, 0), (1, 1)} or {
        (r, c) for r, c, _ in m.pairs
    } == {(0, 3), (1, 1)}
    assert m.recall == pytest.approx(2 / 3) and m.precision == pytest.approx(0.5)
    assert m.f1 == pytest.approx(4 / 7)
    # a curve wobbling between two neighbours 8 px apart matches neither
    labels2 = [line(0, 0, 100, 0), line(0, 8, 100, 8)]
    zig = np.column_stack([np.linspace(0, 100, 40), np.where(np.arange(40) % 2, 0.0, 8.0)])
    assert match_by_distance(labels2, [zig]).matched == 0
    assert match_by_distance(labels2, [line(0, 7.5, 100, 7.5)]).matched == 1


def test_match_by_distance_prefers_more_matches():
    # prediction 0 is closest to label 0 but also the only one near label 1
    labels = [line(0, 0, 100, 0), line(0, 2.5, 100, 2.5)]
    preds = [line(0, 1.5, 100, 1.5), line(0, -1.0, 100, -1.0)]
    assert match_by_distance(labels, preds, max_distance=3).matched == 2


def test_match_by_distance_empty_and_bad_rule():
    assert match_by_distance([], []).recall == 1.0
    assert match_by_distance([line(0, 0, 5, 5)], []).recall == 0.0
    with pytest.raises(ValueError):
        match_by_distance([], [], max_distance=float("nan"))


def test_centreline_scores_counts_points_within_tolerance():
    lab_near, lab_n, pred_near, pred_n = centreline_scores(
        [line(0, 0, 100, 0)], [line(0, 1, 50, 1)], tolerance=2
    )
    assert lab_near / lab_n == pytest.approx(0.5, abs=0.02)
    assert pred_near == pred_n
    assert centreline_scores([], [line(0, 0, 1, 1)])[:2] == (0, 0)
