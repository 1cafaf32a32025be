import numpy as np
import pytest

from temdefects.metrics import match_by_coverage
from temdefects.metrics.coverage import point_to_polyline


def line(x0, y0, x1, y1, n=60):
    return np.column_stack([np.linspace(x0, x1, n), np.linspace(y0, y1, n)])


def test_point_to_polyline_is_exact():
    poly = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]])
    pts = np.array([[5.0, 3.0], [13.0, 5.0], [-4.0, 3.0]])
    assert np.allclose(point_to_polyline(pts, poly), [3.0, 3.0, 5.0])


def test_recall_and_precision_with_tolerance():
    labels = [line(0, 0, 100, 0), line(0, 30, 100, 30), line(0, 60, 100, 60)]
    preds = [
        line(0, 3, 100, 3, 50),  # 3 px off: covers label 0
        line(0, 30, 40, 30, 50),  # covers 40 % of label 1: not enough
        line(0, 200, 100, 200, 50),
    ]  # nothing
    m = match_by_coverage(labels, preds, tolerance=5, min_coverage=0.5)
    assert (m.matched, m.recall, m.precision) == (1, pytest.approx(1 / 3), pytest.approx(1 / 3))
    assert m.pairs[0][:2] == (0, 0)
    loose = match_by_coverage(labels, preds, tolerance=5, min_coverage=0.3)
    assert loose.matched == 2


def test_one_prediction_matches_one_label():
    labels = [line(0, 0, 100, 0), line(0, 2, 100, 2)]  # two labels on one line
    m = match_by_coverage(labels, [line(0, 1, 100, 1)])
    assert m.matched == 1 and m.recall == 0.5 and m.precision == 1.0


def test_empty_cases_and_validation():
    assert match_by_coverage([], []).recall == 1.0
    assert match_by_coverage([line(0, 0, 5, 5)], []).recall == 0.0
    with pytest.raises(ValueError):
        match_by_coverage([], [], tolerance=0)
