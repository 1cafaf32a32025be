import numpy as np
import pytest

from temdefects.metrics import (
    binarize_predictions,
    greedy_match,
    length_score,
    pair_length_score,
)

from .helpers import DTYPES, empty, hline, line, polyline, stack

THICK = [
    polyline([(5, 10), (40, 20), (90, 12), (120, 30)], thickness=5),
    line((10, 60), (70, 30), thickness=3),
    hline(20, 110, y=50, thickness=7),
]


@pytest.mark.parametrize("true_dtype", DTYPES)
@pytest.mark.parametrize("pred_dtype", [bool, np.uint8, np.float32])
def test_perfect_prediction_scores_one(pred_dtype, true_dtype):
    true = stack(*THICK)
    assert length_score(true.astype(pred_dtype), true.astype(true_dtype)) == 1.0


def _imperfect():
    pred = stack(
        hline(20, 70, y=50, thickness=7),  # short
        line((10, 60), (70, 30), thickness=3).astype(float) * 0.8,  # exact, p = 0.8
        polyline([(5, 10), (40, 20), (90, 12), (120, 30)], thickness=5),
    ).astype(np.float32)
    return pred, stack(*THICK)


def test_invariant_to_permutation_of_predictions_and_to_empty_masks():
    pred, true = _imperfect()
    ref = length_score(pred, true)
    assert 0.5 < ref < 1.0
    for order in ([2, 0, 1], [1, 2, 0]):
        assert length_score(pred[order], true) == pytest.approx(ref, abs=1e-12)
    padded = np.concatenate(
        [
            np.zeros((2, *pred.shape[1:]), pred.dtype),
            pred,
            np.zeros((3, *pred.shape[1:]), pred.dtype),
        ]
    )
    assert length_score(padded, true) == pytest.approx(ref, abs=1e-12)


def test_padding_true_masks_are_ignored():
    pred, true = _imperfect()
    padded = np.concatenate([true[:1], np.zeros_like(true[:2]), true[1:], np.zeros_like(true)])
    assert length_score(pred, padded) == pytest.approx(length_score(pred, true), abs=1e-12)


@pytest.mark.parametrize(("x1", "expected"), [(50, 0.5), (130, 0.5), (120, 0.625), (70, 0.75)])
def test_known_value_for_wrong_length(x1, expected):
    # One-pixel lines are their own skeletons: the true length is 80 px and a
    # prediction from x = 10 to x1 has length x1 - 10.
    true = stack(hline(10, 90, shape=(40, 160)))
    pred = stack(hline(10, x1, shape=(40, 160)))
    assert length_score(pred.astype(float), true) == pytest.approx(expected)


def test_far_too_long_prediction_is_clipped_to_zero():
    true = stack(hline(10, 30))
    pred = stack(hline(10, 120))
    assert length_score(pred, true) == 0.0


def test_half_length_thick_line():
    true = stack(hline(10, 110, thickness=5))
    pred = stack(hline(10, 60, thickness=5))
    assert length_score(pred, true) == pytest.approx(0.5, abs=0.03)


def test_greedy_matching_depends_on_true_order():
    # T_a = x 10..90 (L 80), T_b = x 60..120 (L 60), P1 = x 30..110 (L 80),
    # P2 = x 10..50 (L 40). Dice: T_a-P1 0.753, T_a-P2 0.672, T_b-P1 0.718,
    # T_b-P2 0. In the order (T_a, T_b), T_a takes P1 (score 1) and no
    # remaining prediction overlaps T_b (score 0): 0.5. In the order
    # (T_b, T_a), T_b takes P1 (1 - 20/60) and T_a takes P2 (0.5): 7/12.
    # An optimal assignment would give 7/12 in both orders. A literal
    # Algorithm 1 would hand the non-overlapping P2 to T_b (score 2/3): 5/6.
    t = stack(hline(10, 90), hline(60, 120))
    p = stack(hline(30, 110), hline(10, 50)).astype(float)
    assert length_score(p, t) == pytest.approx(0.5)
    assert length_score(p, t[::-1]) == pytest.approx(7 / 12)


def test_prediction_without_overlap_scores_zero():
    true = stack(hline(10, 60, y=10))
    pred = stack(hline(10, 60, y=40))  # same length, elsewhere
    assert length_score(pred, true) == 0.0
    assert greedy_match(pred, true) == ()


def test_fewer_predictions_than_true_masks():
    a, b = hline(10, 60, y=10), hline(10, 60, y=40)
    assert length_score(stack(a), stack(a, b)) == pytest.approx(0.5)
    assert length_score(stack(b, empty()), stack(a, b)) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("pred", "true", "expected"),
    [
        (stack(), stack(), 1.0),
        (stack(empty(), empty()), stack(empty()), 1.0),
        (stack(hline(3, 5)), stack(empty()), 1.0),  # 3 px, removed by min_size
        (stack(hline(3, 50)), stack(), 0.0),
        (stack(hline(3, 50)), stack(empty(), empty()), 0.0),
    ],
)
def test_no_true_masks(pred, true, expected):
    assert length_score(pred.astype(float), true) == expected


def test_min_size_removes_specks():
    true = stack(hline(10, 90))
    pred = stack(hline(10, 90) | hline(100, 104))  # a detached 5 px speck
    assert length_score(pred, true) == 1.0  # speck removed (min_size 10)
    assert length_score(pred, true, min_size=0) == pytest.approx(1 - 4 / 80)


def test_threshold_is_strict():
    true = stack(hline(10, 90))
    pred = true * np.float32(0.4)
    assert length_score(pred, true) == 0.0
    assert length_score(pred, true, threshold=0.3) == 1.0
    assert length_score(pred, true, threshold=0.4) == 0.0


def test_single_pixel_true_mask():
    true = np.zeros((1, 20, 20), bool)
    true[0, 10, 10] = True
    assert length_score(true.astype(float), true, min_size=1) == 1.0
    longer = true.copy()
    longer[0, 10, 8:13] = True
    assert length_score(longer.astype(float), true, min_size=1) == 0.0


def test_pair_length_score():
    assert pair_length_score(40.0, 80.0) == 0.5
    assert pair_length_score(200.0, 80.0) == 0.0
    assert pair_length_score(0.0, 0.0) == 1.0
    assert pair_length_score(3.0, 0.0) == 0.0


def test_greedy_match_skips_padding_and_follows_true_order():
    a, b = hline(10, 60, y=10), hline(10, 60, y=40)
    pairs = greedy_match(stack(b, a), stack(empty(), a, b))
    assert [(i, j) for i, j, _ in pairs] == [(1, 1), (0, 2)]
    assert all(d == 1.0 for *_, d in pairs)


def test_binarize_predictions_keeps_objects_of_exactly_min_size():
    p = np.zeros((1, 10, 10), np.float32)
    p[0, 1, 1:5] = 0.9  # 4 px
    p[0, 6, 1], p[0, 7, 2], p[0, 8, 3] = 0.9, 0.9, 0.9  # 3 px, diagonal: one object
    out = binarize_predictions(p, min_size=3)
    assert out.dtype == bool and out.sum() == 7
    assert binarize_predictions(p, min_size=4).sum() == 4


def test_validation():
    true = stack(hline(10, 90))
    with pytest.raises(ValueError, match=r"pred must be a 3-D array of shape \(N, H, W\)"):
        length_score(true[0].astype(float), true)
    with pytest.raises(ValueError, match="same image size"):
        length_score(np.zeros((1, 64, 64)), true)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        length_score(true.astype(np.uint8) * 255, true)
    with pytest.raises(ValueError, match="without NaN"):
        length_score(np.full(true.shape, np.nan), true)
    with pytest.raises(ValueError, match="true must be binary"):
        length_score(true.astype(float), true * 0.5)
    with pytest.raises(ValueError, match=r"threshold must lie in \[0, 1\]"):
        length_score(true.astype(float), true, threshold=1.5)
    with pytest.raises(ValueError, match="min_size must be an integer >= 0"):
        length_score(true.astype(float), true, min_size=-1)
    with pytest.raises(ValueError, match="min_size must be an integer >= 0"):
        length_score(true.astype(float), true, min_size=2.5)
