import csv
import json
import math

import cv2
import numpy as np
import pytest

from temdefects.dislocations.evaluation import (
    ROW_COLUMNS,
    EvalResult,
    boxplot_png,
    format_table,
    group_by_count,
    matrix,
    matrix_png,
    write_matrix,
    write_pair,
)
from temdefects.metrics import aggregate


def _row(image, n_true, length_score, *, tp=1, curve_distance=1.5):
    fields = dict.fromkeys(ROW_COLUMNS, 0)
    fields.update(
        image=image,
        n_true=n_true,
        n_pred=tp,
        tp=tp,
        fn=n_true - tp,
        length_score=length_score,
        f1=0.5,
        duplicate_rate=0.25,
        curve_distance=curve_distance,
    )
    return fields


def _result(model, data, score, *, failed=None):
    rows = [_row("000000", 2, score), _row("000001", 3, score, curve_distance=math.nan)]
    summary = {**aggregate(rows), "length_score": score, "f1": score / 2, "duplicate_rate": 0.75}
    return EvalResult(
        model,
        data,
        rows,
        summary,
        failed or {},
        model_path=f"/m/{model}",
        data_path=f"/d/{data}",
        settings={
            "threshold": 0.5,
            "min_size": 10,
            "match_threshold": 0.5,
            "batch_size": 4,
            "limit": None,
        },
    )


def _png_ok(path):
    image = cv2.imread(str(path))
    return image is not None and image.shape[0] > 50 and image.shape[1] > 50


def test_group_by_count_groups_sorts_and_drops_nan():
    rows = [
        {"n_true": 12, "length_score": 0.5},
        {"n_true": 3, "length_score": 0.9},
        {"n_true": 12, "length_score": float("nan")},
        {"n_true": 12, "length_score": 0.25},
        {"n_true": 0, "length_score": 1.0},
    ]
    groups = group_by_count(rows)
    assert list(groups) == [0, 3, 12]
    assert groups == {0: [1.0], 3: [0.9], 12: [0.5, 0.25]}
    assert group_by_count(rows, key="length_score", count_key="n_true") == groups
    with pytest.raises(ValueError, match="rows\\[1\\] lacks"):
        group_by_count([{"n_true": 1, "length_score": 1.0}, {"n_true": 2}])


def test_write_pair_writes_csv_summary_and_boxplot(tmp_path):
    result = _result("m", "d", 0.75, failed={"000002": "broken"})
    folder = write_pair(tmp_path, result)
    assert folder == tmp_path / "m__d"
    with open(folder / "per_image.csv", newline="") as fh:
        table = list(csv.reader(fh))
    assert tuple(table[0]) == ROW_COLUMNS
    assert [r[0] for r in table[1:]] == ["000000", "000001"]
    by_name = [dict(zip(table[0], r, strict=True)) for r in table[1:]]
    assert by_name[0]["n_true"] == "2" and by_name[1]["n_true"] == "3"
    assert float(by_name[0]["length_score"]) == 0.75 and by_name[1]["curve_distance"] == "nan"

    def no_nan(text):
        raise AssertionError(f"summary.json holds {text}")

    summary = json.loads((folder / "summary.json").read_text(), parse_constant=no_nan)
    assert summary["n_images"] == 2 and summary["failed"] == {"000002": "broken"}
    assert summary["n_failed"] == 1 and summary["summary"]["length_score"] == 0.75
    assert summary["settings"]["match_threshold"] == 0.5 and summary["model"] == "m"
    assert summary["model_path"].endswith("m") and summary["data_path"].endswith("d")
    assert _png_ok(folder / "boxplot.png")


def test_matrix_places_each_pair_and_leaves_missing_ones_nan():
    results = [_result("m1", "d1", 0.1), _result("m1", "d2", 0.2), _result("m2", "d2", 0.4)]
    models, datasets, values = matrix(results)
    assert (models, datasets) == (["m1", "m2"], ["d1", "d2"])
    np.testing.assert_array_equal(values, [[0.1, 0.2], [np.nan, 0.4]])
    with pytest.raises(ValueError, match="twice"):
        matrix([*results, _result("m2", "d2", 0.5)])


def test_write_matrix_2x2(tmp_path):
    results = [
        _result("m1", "d1", 0.125),
        _result("m1", "d2", 0.25),
        _result("m2", "d1", 0.5),
        _result("m2", "d2", 1.0),
    ]
    paths = write_matrix(tmp_path, results)
    assert [p.name for p in paths] == ["matrix.csv", "matrix.md", "matrix.png"]
    assert (tmp_path / "matrix.csv").read_text() == ("model,d1,d2\nm1,0.125,0.25\nm2,0.5,1\n")
    md = (tmp_path / "matrix.md").read_text()
    length, f1, duplicates = md.split("## ")[1:]
    assert length.startswith("Mean length score") and "| m1 | 0.125 | 0.250 |" in length
    assert f1.startswith("Instance F1") and "| m2 | 0.250 | 0.500 |" in f1
    assert duplicates.startswith("Duplicate rate") and "| m1 | 0.750 | 0.750 |" in duplicates
    assert all(t.count("| model | d1 | d2 |") == 1 for t in (length, f1, duplicates))
    assert _png_ok(tmp_path / "matrix.png")
    with pytest.raises(ValueError, match="empty"):
        write_matrix(tmp_path, [])


def test_heat_map_uses_a_fixed_colour_scale():
    # Same values -> same picture; a value of 1 must not look like a value of 0.5
    # (an auto-scaled map would paint a constant matrix in one colour either way).
    names = (["m"], ["d"])
    low = cv2.imdecode(np.frombuffer(matrix_png([[0.2]], *names), np.uint8), cv2.IMREAD_COLOR)
    high = cv2.imdecode(np.frombuffer(matrix_png([[0.9]], *names), np.uint8), cv2.IMREAD_COLOR)
    assert low.shape == high.shape
    h, w = low.shape[:2]
    cell = (slice(int(0.3 * h) - 2, int(0.3 * h) + 3), slice(int(0.55 * w) - 2, int(0.55 * w) + 3))
    assert np.abs(low[cell].astype(int) - high[cell].astype(int)).mean() > 40
    again = cv2.imdecode(np.frombuffer(matrix_png([[0.2]], *names), np.uint8), cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(again, low)
    with pytest.raises(ValueError, match="expected shape"):
        matrix_png(np.zeros((2, 2)), ["m"], ["d"])


def test_boxplot_without_rows_is_still_an_image():
    image = cv2.imdecode(np.frombuffer(boxplot_png([]), np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.ndim == 3


def test_format_table_has_one_line_per_pair():
    text = format_table([_result("model-a", "data-b", 0.5), _result("m", "d", 0.25)])
    lines = text.splitlines()
    assert len(lines) == 3 and lines[0].split()[:2] == ["model", "data"]
    assert lines[1].split()[:5] == ["model-a", "data-b", "2", "0", "0.500"]
