import math
import subprocess
import sys

import numpy as np
import pytest

from temdefects.metrics import (
    aggregate,
    binarize_predictions,
    cl_dice,
    evaluate_image,
    length_score,
    match_instances,
    union_scores,
)
from temdefects.metrics.summary import COUNT_KEYS, MEAN_KEYS

from .helpers import empty, hline, line, polyline, stack

T = stack(
    polyline([(5, 10), (40, 20), (90, 12), (120, 30)], thickness=5),
    line((10, 60), (70, 30), thickness=3),
    hline(20, 110, y=50, thickness=7),
)


def test_perfect_prediction():
    r = evaluate_image(T.astype(np.float32), T)
    assert set(r) == set(COUNT_KEYS) | set(MEAN_KEYS) | {
        "precision",
        "recall",
        "f1",
        "duplicate_rate",
    }
    assert (r["tp"], r["fp"], r["fn"], r["duplicates"]) == (3, 0, 0, 0)
    assert (r["n_true"], r["n_pred"]) == (3, 3)
    for key in (
        "length_score",
        "precision",
        "recall",
        "f1",
        "union_dice",
        "union_iou",
        "cl_dice",
        "mean_matched_dice",
    ):
        assert r[key] == 1.0, key
    assert r["curve_distance"] == 0.0
    assert all(type(v) in (int, float) for v in r.values())


def test_agrees_with_the_separate_functions():
    rng = np.random.default_rng(7)
    pred = np.concatenate(
        [T[[2, 0]], T[:1], np.zeros_like(T[:1]), stack(hline(30, 100, y=40, thickness=3))]
    ).astype(np.float32)
    pred *= rng.uniform(0.3, 1.0, pred.shape).astype(np.float32)
    true = np.concatenate([T, np.zeros_like(T[:1])])
    r = evaluate_image(pred, true, threshold=0.4, match_threshold=0.5)
    clean = binarize_predictions(pred, threshold=0.4)
    m = match_instances(clean, true)
    u = union_scores(clean, true)
    assert r["length_score"] == length_score(pred, true, threshold=0.4)
    assert (r["tp"], r["fp"], r["fn"], r["duplicates"]) == (m.tp, m.fp, m.fn, m.duplicates)
    assert r["duplicates"] >= 1
    assert r["union_dice"] == u["dice"] and r["union_iou"] == u["iou"]
    assert r["cl_dice"] == cl_dice(clean.any(axis=0), true.any(axis=0))
    assert r["f1"] == m.f1


def test_no_pairs_gives_nan_curve_distance():
    r = evaluate_image(np.zeros((2, *T.shape[1:])), T)
    assert (r["tp"], r["fn"], r["n_pred"]) == (0, 3, 0)
    assert math.isnan(r["curve_distance"])
    assert r["length_score"] == 0.0 and r["recall"] == 0.0 and r["precision"] == 1.0


def _row(tp, fp, fn, dup, n_pred, length, curve):
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "duplicates": dup,
        "n_pred": n_pred,
        "n_true": tp + fn,
        "length_score": length,
        "mean_matched_dice": 0.8,
        "union_dice": 0.5,
        "union_iou": 0.25,
        "cl_dice": 0.6,
        "curve_distance": curve,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "duplicate_rate": 0.0,
    }


def test_aggregate_micro_averages_counts_and_means_scores():
    rows = [
        _row(3, 1, 0, 1, 4, 0.9, 2.0),
        _row(1, 0, 3, 0, 1, 0.3, math.nan),
        _row(0, 2, 1, 0, 2, 0.0, 4.0),
    ]
    a = aggregate(rows)
    assert a["n_images"] == 3
    assert (a["tp"], a["fp"], a["fn"], a["duplicates"], a["n_pred"]) == (4, 3, 4, 1, 7)
    assert a["precision"] == pytest.approx(4 / 7)
    assert a["recall"] == pytest.approx(4 / 8)
    assert a["f1"] == pytest.approx(8 / (8 + 3 + 4))
    assert a["duplicate_rate"] == pytest.approx(1 / 7)
    assert a["length_score"] == pytest.approx(0.4)
    assert a["curve_distance"] == pytest.approx(3.0)  # NaN row left out
    assert a["union_iou"] == pytest.approx(0.25)


def test_aggregate_of_evaluations_and_edge_cases():
    rows = [
        evaluate_image(T.astype(float), T),
        evaluate_image(
            np.zeros((1, *T.shape[1:])), stack(empty(shape=T.shape[1:]), shape=T.shape[1:])
        ),
    ]
    a = aggregate(rows)
    assert a["length_score"] == 1.0 and a["f1"] == 1.0 and a["duplicate_rate"] == 0.0
    assert a["curve_distance"] == 0.0
    only_nan = aggregate([_row(0, 0, 1, 0, 0, 0.0, math.nan)])
    assert math.isnan(only_nan["curve_distance"]) and only_nan["duplicate_rate"] == 0.0
    with pytest.raises(ValueError, match="rows is empty"):
        aggregate([])
    with pytest.raises(ValueError, match=r"rows\[0\] lacks the keys \['tp'\]"):
        aggregate([{k: v for k, v in _row(1, 0, 0, 0, 1, 1.0, 0.0).items() if k != "tp"}])


def test_validation():
    with pytest.raises(ValueError, match=r"match_threshold must lie in \(0, 1\]"):
        evaluate_image(T.astype(float), T, match_threshold=0.0)
    with pytest.raises(ValueError, match="pred_probs and true must have the same image size"):
        evaluate_image(T[:, :10].astype(float), T)


def test_metrics_package_does_not_import_torch():
    code = "import sys, temdefects.metrics; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
