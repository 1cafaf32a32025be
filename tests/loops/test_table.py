import numpy as np
import pytest

from temdefects.errors import InputFileError
from temdefects.loops.defects import Defects
from temdefects.loops.table import (
    SUMMARY_COLUMNS,
    TABLE_COLUMNS,
    read_detections,
    read_detections_folder,
    write_detections,
    write_summary_csv,
)

HEADER = ",".join(TABLE_COLUMNS)


def test_detections_round_trip(tmp_path):
    d = Defects.from_lists(
        [[1, 2, 3, 4], [5.5, 6, 7, 8]],
        ["loop111", "dot"],
        ellipses=[[2.5, 3.5, 4, 2, 30], [np.nan] * 5],
        scores=[0.9, 0.25],
    )
    p = write_detections(tmp_path / "img.csv", d)
    assert p.read_text().splitlines()[0] == HEADER
    back = read_detections(p)
    assert back.classes == d.classes
    np.testing.assert_allclose(back.boxes, d.boxes)
    np.testing.assert_allclose(back.ellipses, d.ellipses)
    np.testing.assert_allclose(back.scores, d.scores)
    assert list(read_detections_folder(tmp_path)) == ["img"]
    write_detections(tmp_path / "empty.csv", Defects.empty())
    assert len(read_detections(tmp_path / "empty.csv")) == 0


@pytest.mark.parametrize(
    "body,match",
    [
        ("class,x,y\n", r"t\.csv:1: expected the header"),
        (HEADER + "\nvoid,1,1,2,2,0,0,0,2,2,1\n", r"t\.csv:2: unknown class 'void'"),
        (HEADER + "\ndot,1,1,2,2,0,0,0,2,2\n", r"t\.csv:2: expected 11 values"),
        (HEADER + "\ndot,1,,2,2,0,0,0,2,2,1\n", r"t\.csv:2: missing value"),
        (HEADER + "\ndot,,,,,,0,0,2,2,\n", r"t\.csv:2: missing value"),
        (HEADER + "\ndot,1,1,2,2,0,0,0,2,x,1\n", r"t\.csv:2: non-numeric"),
        (HEADER + "\ndot,1,1,2,2,0,0,0,0,2,1\n", r"t\.csv:2: box must be"),
    ],
)
def test_detections_errors_name_file_and_line(tmp_path, body, match):
    (tmp_path / "t.csv").write_text(body)
    with pytest.raises(InputFileError, match=match):
        read_detections(tmp_path / "t.csv")


def test_detections_folder_errors(tmp_path):
    with pytest.raises(InputFileError, match="no such folder"):
        read_detections_folder(tmp_path / "nope")
    with pytest.raises(InputFileError, match="no detection tables"):
        read_detections_folder(tmp_path)


def test_summary_csv(tmp_path):
    rows = [{"source": "pred", "class": "dot", "count": 2, "mean_diameter": 1.5,
             "std_diameter": None, "areal_density": float("nan")}]  # fmt: skip
    text = write_summary_csv(tmp_path / "s.csv", rows).read_text().splitlines()
    assert text[0] == ",".join(SUMMARY_COLUMNS)
    assert text[1].startswith("pred,dot,2,1.5,,,,")
