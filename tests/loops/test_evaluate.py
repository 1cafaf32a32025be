import json

import numpy as np
import pytest

from temdefects.loops.defects import Defects
from temdefects.loops.evaluate import (
    box_iou,
    class_scores,
    class_statistics,
    confusion_matrix,
    evaluate_loops,
    match_boxes,
    pr_table,
)


def test_box_iou_known_values():
    a = [[0, 0, 10, 10], [0, 0, 2, 2]]
    b = [[5, 0, 10, 10], [0, 0, 10, 10], [20, 20, 1, 1]]
    expected = [[50 / 150, 1.0, 0.0], [0.0, 0.04, 0.0]]
    np.testing.assert_allclose(box_iou(a, b), expected)
    assert box_iou(np.zeros((0, 4)), b).shape == (0, 3)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        box_iou([[0, 0, 1]], b)


def test_matching_is_one_to_one_and_maximises_the_count():
    # greedy by best IoU would give p0-t0 and leave p1 (which only overlaps t0) unmatched
    true = [[0, 0, 10, 10], [6, 0, 10, 10]]
    pred = [[3, 0, 10, 10], [0, 0, 9, 10]]
    m = match_boxes(pred, true, threshold=0.3)
    assert m.scores.tp == 2 and {(p, t) for p, t, _ in m.pairs} == {(0, 1), (1, 0)}
    dup = match_boxes([[0, 0, 10, 10], [0, 0, 10, 10]], [[0, 0, 10, 10]], threshold=0.5)
    assert (dup.scores.tp, dup.scores.fp, dup.scores.fn) == (1, 1, 0)
    assert dup.scores.precision == 0.5 and dup.scores.recall == 1.0
    assert dup.scores.f1 == pytest.approx(2 / 3)


def test_threshold_and_class_aware_matching():
    true, pred = [[0, 0, 10, 10]], [[0, 0, 10, 5]]
    assert match_boxes(pred, true, threshold=0.5).scores.tp == 1
    assert match_boxes(pred, true, threshold=0.51).scores.tp == 0
    m = match_boxes(pred, true, threshold=0.5, pred_classes=["dot"], true_classes=["loop111"])
    assert m.class_aware and m.scores.tp == 0
    m = match_boxes(pred, true, threshold=0.5, pred_classes=["dot"], true_classes=["dot"])
    assert m.scores.tp == 1
    with pytest.raises(ValueError, match="both"):
        match_boxes(pred, true, pred_classes=["dot"])
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        match_boxes(pred, true, threshold=0.0)


def test_empty_predictions_or_truth():
    box = [[0, 0, 4, 4]]
    none = np.zeros((0, 4))
    s = match_boxes(none, box).scores
    assert (s.precision, s.recall, s.f1, s.fn) == (1.0, 0.0, 0.0, 1)
    s = match_boxes(box, none).scores
    assert (s.precision, s.recall, s.f1, s.fp) == (0.0, 1.0, 0.0, 1)
    s = match_boxes(none, none).scores
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)


def _img(boxes, classes, scores=None, ellipses=None):
    return Defects.from_lists(boxes, classes, scores=scores, ellipses=ellipses)


def test_pr_table_sums_images_and_filters_scores():
    t1 = _img([[0, 0, 10, 10], [20, 0, 10, 10]], ["dot", "dot"])
    p1 = _img([[0, 0, 10, 10], [20, 0, 10, 6]], ["dot", "dot"], scores=[0.9, 0.2])
    t2 = Defects.empty()
    p2 = _img([[0, 0, 3, 3]], ["dot"], scores=[0.5])
    rows = pr_table([(p1, t1), (p2, t2)], iou_thresholds=[0.5, 0.7], score_thresholds=[0.1, 0.3])
    got = {(r["score"], r["iou"]): (r["tp"], r["fp"], r["fn"]) for r in rows}
    assert got == {(0.1, 0.5): (2, 1, 0), (0.1, 0.7): (1, 2, 1),
                   (0.3, 0.5): (1, 1, 1), (0.3, 0.7): (1, 1, 1)}  # fmt: skip
    row = next(r for r in rows if r["score"] == 0.1 and r["iou"] == 0.5)
    assert row["precision"] == pytest.approx(2 / 3) and row["recall"] == 1.0


def test_confusion_matrix_and_per_class_scores():
    t = _img([[0, 0, 4, 4], [10, 0, 4, 4], [20, 0, 4, 4], [30, 0, 4, 4]],
             ["loop111", "loop111", "dot", "loop100"])  # fmt: skip
    p = _img([[0, 0, 4, 4], [10, 0, 4, 4], [20, 0, 4, 4], [50, 0, 4, 4], [0, 9, 1, 1]],
             ["loop111", "dot", "dot", "dot", "loop100"], scores=[1, 1, 1, 1, 0.01])  # fmt: skip
    cm = confusion_matrix([(p, t)], threshold=0.5, min_score=0.1)
    assert cm.rows == ("loop111", "loop100", "dot", "spurious")
    assert cm.columns == ("loop111", "loop100", "dot", "missed")
    np.testing.assert_array_equal(
        cm.as_array(), [[1, 0, 1, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 0, 1, 0]]
    )
    scores = class_scores(cm)
    assert scores["loop111"]["precision"] == 1.0 and scores["loop111"]["recall"] == 0.5
    assert scores["dot"]["precision"] == pytest.approx(1 / 3) and scores["dot"]["recall"] == 1.0
    assert scores["loop100"]["recall"] == 0.0 and scores["loop100"]["precision"] == 1.0
    assert scores["dot"]["f1"] == pytest.approx(0.5)


def test_class_statistics_diameters_and_densities():
    d = _img(
        [[0, 0, 10, 10], [0, 0, 30, 30], [0, 0, 4, 2]],
        ["loop111", "loop111", "dot"],
        ellipses=[[5, 5, 10, 6, 0], [15, 15, 30, 20, 0], [np.nan] * 5],
    )
    rows = {r["class"]: r for r in class_statistics({"a": d}, shapes={"a": (100, 100)})}
    loop = rows["loop111"]
    assert loop["count"] == 2 and loop["mean_diameter"] == 20.0
    assert loop["std_diameter"] == pytest.approx(np.std([10, 30], ddof=1))
    assert loop["sem_diameter"] == pytest.approx(loop["std_diameter"] / np.sqrt(2))
    assert loop["areal_density"] == pytest.approx(np.pi * (60 + 600) / 4 / 1e4)
    assert loop["number_density"] == pytest.approx(2e-4) and loop["density_unit"] == "px^-2"
    assert rows["dot"]["mean_diameter"] == pytest.approx(np.sqrt(8))  # box-inscribed ellipse
    assert rows["dot"]["std_diameter"] is None and rows["loop100"]["mean_diameter"] is None
    assert rows["all"]["count"] == 3
    nm = {r["class"]: r for r in class_statistics({"a": d}, shapes={"a": (100, 100)}, pixel_size=2)}
    assert nm["loop111"]["mean_diameter"] == 40.0 and nm["loop111"]["length_unit"] == "nm"
    assert nm["loop111"]["number_density"] == pytest.approx(2 / (4e4 * 1e-18))
    assert nm["loop111"]["areal_density"] == pytest.approx(loop["areal_density"])
    assert class_statistics({"a": d})[0]["areal_density"] is None


def test_evaluate_loops_reports_unpaired_images_and_serialises():
    t = _img([[0, 0, 10, 10], [20, 0, 10, 10]], ["loop111", "dot"])
    p = _img([[0, 0, 10, 10], [20, 0, 10, 10]], ["loop111", "loop111"], scores=[0.9, 0.8])
    ev = evaluate_loops({"a": p, "only_pred": p}, {"a": t, "only_truth": t}, shapes={"a": (50, 50)})
    assert ev.images == ("a",) and ev.pred_only == ("only_pred",)
    assert ev.truth_only == ("only_truth",)
    assert ev.detection.f1 == 1.0 and ev.detection_class_aware.tp == 1
    assert ev.confusion.to_dict()["dot"]["loop111"] == 1
    assert len(ev.pr_table) == 9 * 16  # 15 paper scores + the min score 0
    sizes = {r["class"]: r for r in ev.sizes}
    assert sizes["loop111"]["pred_count"] == 2 and sizes["loop111"]["truth_count"] == 1
    assert sizes["loop111"]["error_mean_diameter_percent"] == 0.0
    text = json.dumps(ev.to_dict())
    assert json.loads(text)["confusion"]["rows"][-1] == "spurious"
