import dataclasses

import numpy as np
import pytest

from temdefects.metrics import InstanceMatch, dice_matrix, greedy_match, match_instances
from temdefects.metrics.matching import assign_pairs

from .helpers import DTYPES, empty, hline, line, stack

T0 = hline(10, 60, y=10, thickness=3)
T1 = hline(10, 60, y=40, thickness=3)
FAR = line((100, 5), (100, 60), thickness=3)  # overlaps nothing


@pytest.mark.parametrize("dtype", DTYPES)
def test_perfect_prediction(dtype):
    m = match_instances(stack(T1, T0).astype(dtype), stack(T0, T1).astype(dtype))
    assert (m.tp, m.fp, m.fn) == (2, 0, 0)
    assert (m.precision, m.recall, m.f1) == (1.0, 1.0, 1.0)
    assert m.pairs == ((1, 0, 1.0), (0, 1, 1.0))  # sorted by true index
    assert m.mean_matched_score == 1.0
    assert m.duplicates == 0


def test_duplicate_false_positive_and_miss():
    pred = stack(T0, empty(), T0, FAR)  # T0 twice, one stray line
    true = stack(T0, T1)  # T1 is missed
    m = match_instances(pred, true)
    assert (m.n_pred, m.n_true) == (3, 2)
    assert (m.tp, m.fp, m.fn) == (1, 2, 1)
    assert m.duplicates == 1  # the second copy of T0, not the stray line
    assert m.duplicate_rate == pytest.approx(1 / 3)
    assert m.precision == pytest.approx(1 / 3)
    assert m.recall == pytest.approx(1 / 2)
    assert m.f1 == pytest.approx(2 / (2 + 2 + 1))
    assert m.pairs[0][1] == 0 and m.pairs[0][0] in (0, 2)


def test_empty_masks_are_ignored_and_indices_refer_to_inputs():
    m = match_instances(stack(empty(), empty(), T1), stack(empty(), T1, empty()))
    assert (m.n_pred, m.n_true, m.tp) == (1, 1, 1)
    assert m.pairs == ((2, 1, 1.0),)


@pytest.mark.parametrize(
    ("pred", "true", "expected"),
    [
        (stack(), stack(), (1.0, 1.0, 1.0)),
        (stack(empty()), stack(empty()), (1.0, 1.0, 1.0)),
        (stack(empty()), stack(T0), (1.0, 0.0, 0.0)),  # nothing claimed, something missed
        (stack(T0), stack(empty()), (0.0, 1.0, 0.0)),  # nothing to find, a false claim
    ],
)
def test_zero_denominator_conventions(pred, true, expected):
    m = match_instances(pred, true)
    assert (m.precision, m.recall, m.f1) == expected
    assert m.duplicate_rate == 0.0
    assert m.mean_matched_score == 0.0


def test_threshold_decides_what_is_a_match():
    pred, true = stack(hline(0, 39)), stack(hline(25, 64))  # 15 of 40 px shared
    dice = 2 * 15 / 80
    assert match_instances(pred, true, threshold=0.5).tp == 0
    m = match_instances(pred, true, threshold=0.3)
    assert m.tp == 1 and m.pairs[0][2] == pytest.approx(dice)


def test_iou_criterion_is_stricter_than_dice():
    pred, true = stack(hline(0, 39)), stack(hline(15, 54))  # 25 of 40 px shared
    assert match_instances(pred, true, criterion="dice").tp == 1  # dice 0.625
    m = match_instances(pred, true, criterion="iou")  # iou 25/55
    assert m.tp == 0 and m.criterion == "iou"


def test_optimal_where_greedy_is_not():
    # Greedy (Algorithm 1) gives P1 to T_a, leaving T_b without an overlapping
    # prediction; the optimal assignment pairs T_a-P2 and T_b-P1.
    t = stack(hline(10, 90), hline(60, 120))
    p = stack(hline(30, 110), hline(10, 50))
    assert [(i, j) for i, j, _ in greedy_match(p, t)] == [(0, 0)]
    m = match_instances(p, t, threshold=0.3)
    assert [(i, j) for i, j, _ in m.pairs] == [(1, 0), (0, 1)]


def test_assignment_maximises_the_number_of_matches_first():
    scores = np.array([[0.95, 0.55], [0.55, 0.40]])
    # The largest total score (0.95 + 0.40) holds only one match above 0.5.
    assert sorted(assign_pairs(scores, 0.5)) == [(0, 1), (1, 0)]


def test_pair_scores_come_from_the_criterion():
    pred = stack(hline(0, 30), hline(40, 70))
    true = stack(hline(5, 30), hline(40, 60))
    m = match_instances(pred, true)
    d = dice_matrix(pred, true)
    for i, j, s in m.pairs:
        assert s == pytest.approx(d[i, j])


def test_result_is_frozen():
    m = match_instances(stack(T0), stack(T0))
    assert isinstance(m, InstanceMatch)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.tp = 5


def test_validation():
    with pytest.raises(ValueError, match="binary"):
        match_instances(stack(T0) * 0.9, stack(T0))
    with pytest.raises(ValueError, match=r"threshold must lie in \(0, 1\]"):
        match_instances(stack(T0), stack(T0), threshold=0)
    with pytest.raises(ValueError, match="known: 'dice', 'iou'"):
        match_instances(stack(T0), stack(T0), criterion="hausdorff")
    with pytest.raises(ValueError, match=r"true must be a 3-D array of shape \(M, H, W\)"):
        match_instances(stack(T0), T0)
    with pytest.raises(ValueError, match="same image size"):
        match_instances(stack(T0), stack(T0)[:, :, :50])


def test_particle_matching_keeps_the_most_pairs_a_threshold_allows():
    # IoU [[0.57, 0.29], [0.2, 0]]: the largest total IoU pairs (p1, t1) and
    # leaves p2 with nothing; the threshold allows two pairs.
    from temdefects.particles.evaluate import match_labels

    pred = np.zeros((1, 20), np.int32)
    true = np.zeros((1, 20), np.int32)
    true[0, 0:10], true[0, 10:16] = 1, 2
    pred[0, 2:14], pred[0, 0:2] = 1, 2
    assert sorted((p, t) for p, t, _ in match_labels(pred, true, min_iou=0.2)) == [(1, 2), (2, 1)]


def test_detection_counts_are_the_counts_of_both_result_types():
    from temdefects.loops.evaluate import DetectionScores
    from temdefects.metrics.matching import detection_counts

    m = match_instances(stack(T0, T0, FAR), stack(T0, T1))
    keys = ("n_pred", "n_true", "tp", "fp", "fn", "precision", "recall", "f1")
    assert {k: getattr(m, k) for k in keys} == detection_counts(3, 2, 1)
    scores = DetectionScores.from_counts(n_pred=np.int64(3), n_true=2, tp=1)
    assert dataclasses.asdict(scores) == detection_counts(3, 2, 1)
    assert type(scores.n_pred) is int
    assert detection_counts(0, 0, 0) == dict.fromkeys(keys[:5], 0) | dict.fromkeys(keys[5:], 1.0)
