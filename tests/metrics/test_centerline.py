import numpy as np
import pytest

from temdefects.metrics import cl_dice, curve_distance, mask_curve_distance

from .helpers import DTYPES, empty, hline, line, polyline

CURVE = polyline([(5, 10), (40, 30), (90, 15), (120, 50)], thickness=5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cl_dice_identical_masks(dtype):
    assert cl_dice(CURVE.astype(dtype), CURVE.astype(dtype)) == 1.0


def test_cl_dice_partial_prediction():
    true = hline(10, 110, thickness=5)
    pred = hline(10, 60, thickness=5)
    # Tprec = 1 (the predicted centre line lies inside the truth) and
    # Tsens ~ 1/2, so clDice ~ 2/3.
    score = cl_dice(pred, true)
    assert score < 1.0
    assert score == pytest.approx(2 / 3, abs=0.04)


def test_cl_dice_ignores_thickness_unlike_dice():
    thin, thick = hline(10, 110, thickness=3), hline(10, 110, thickness=9)
    assert cl_dice(thin, thick) == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize(
    ("pred", "true", "expected"),
    [
        (empty(), empty(), 1.0),
        (CURVE, empty(), 0.0),
        (empty(), CURVE, 0.0),
        (hline(10, 60, y=5, thickness=3), hline(10, 60, y=50, thickness=3), 0.0),
    ],
)
def test_cl_dice_empty_and_disjoint(pred, true, expected):
    assert cl_dice(pred, true) == expected


def test_curve_distance_of_parallel_lines():
    x = np.arange(0.0, 50.0)
    a = np.c_[np.full_like(x, 10.0), x]
    b = np.c_[np.full_like(x, 13.0), x]
    assert curve_distance(a, b) == pytest.approx(3.0)
    assert curve_distance(a, a) == 0.0


def test_curve_distance_is_symmetric_mean_of_both_directions():
    a = np.array([[0, 0]])
    b = np.array([[0, 0], [0, 10]])
    # a -> b: 0; b -> a: (0 + 10) / 2 = 5; mean of both: 2.5
    assert curve_distance(a, b) == pytest.approx(2.5)
    assert curve_distance(b, a) == pytest.approx(2.5)


def test_mask_curve_distance_of_parallel_thick_lines():
    a = hline(10, 110, y=20, thickness=5)
    b = hline(10, 110, y=23, thickness=5)
    assert mask_curve_distance(a, b) == pytest.approx(3.0, abs=0.1)
    c = line((10, 20), (110, 20), thickness=3)
    assert mask_curve_distance(a, c) == pytest.approx(0.0, abs=0.1)


def test_validation():
    with pytest.raises(ValueError, match=r"a_points must be an array of shape \(P, 2\)"):
        curve_distance(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="at least one point"):
        curve_distance(np.zeros((0, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="finite"):
        curve_distance(np.full((2, 2), np.nan), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="mask_b is empty"):
        mask_curve_distance(CURVE, empty())
    with pytest.raises(ValueError, match="same image size"):
        cl_dice(CURVE, CURVE[:, :100])
    with pytest.raises(ValueError, match=r"pred_union must be a 2-D array"):
        cl_dice(CURVE[None], CURVE)
