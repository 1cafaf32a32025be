"""labelme JSON: write, read, render."""

from __future__ import annotations

import json

import numpy as np
import pytest

from temdefects.errors import InputFileError
from temdefects.io.labelme import LabelmeDoc, labelme_to_masks, read_labelme, write_labelme

CURVES = [
    np.array([[10.0, 20.0], [50.0, 20.0]]),
    np.array([[5.25, 5.5], [20.75, 30.125], [40.0, 35.0]]),
]


def test_round_trip(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    image = tmp_path / "images" / "frame.png"
    path = write_labelme(
        tmp_path / "labels" / "frame.json",
        CURVES,
        image_path=image,
        image_shape=(48, 64),
        extra={"temdefects": {"model": "m1"}},
    )
    raw = json.loads(path.read_text())
    assert raw["imagePath"] == "../images/frame.png"
    assert raw["imageData"] is None and (raw["imageHeight"], raw["imageWidth"]) == (48, 64)
    assert raw["temdefects"] == {"model": "m1"}
    first = raw["shapes"][0]
    assert first == {
        "label": "dislocation",
        "points": [[10.0, 20.0], [50.0, 20.0]],
        "group_id": None,
        "description": "",
        "shape_type": "linestrip",
        "flags": {},
    }

    doc = read_labelme(path)
    assert doc.shape == (48, 64)
    assert doc.image_path.resolve() == image.resolve()
    assert [s.shape_type for s in doc.shapes] == ["linestrip", "linestrip"]
    for shape, curve in zip(doc.shapes, CURVES, strict=True):
        assert shape.label == "dislocation"
        np.testing.assert_array_equal(shape.points, curve)
    assert not [p for p in path.parent.iterdir() if p.name != "frame.json"]  # no temp files


def test_masks_of_lines_have_the_requested_width(tmp_path):
    path = write_labelme(
        tmp_path / "a.json", CURVES, image_path=tmp_path / "a.png", image_shape=(48, 64)
    )
    masks = labelme_to_masks(path, width=5)
    assert masks.shape == (2, 48, 64) and masks.dtype == bool
    column = masks[0][:, 30]
    assert column[18:23].all() and column.sum() == 5
    assert not masks[0][:, :5].any()  # nothing before the start of the line
    assert masks[1][5, 5] and masks[1][35, 40]  # both ends of the polyline are drawn
    thin = labelme_to_masks(path, width=1)
    assert thin[0][:, 30].sum() == 1 and thin.sum() < masks.sum()


def test_other_shape_types_and_label_filter(tmp_path):
    shapes = [
        {"label": "loop", "shape_type": "polygon", "points": [[2, 2], [12, 2], [12, 12], [2, 12]]},
        {"label": "box", "shape_type": "rectangle", "points": [[20, 5], [30, 9]]},
        {"label": "loop", "shape_type": "circle", "points": [[40, 20], [44, 20]]},
        {"label": "pin", "shape_type": "point", "points": [[50, 40]]},
        {"label": "seg", "shape_type": "line", "points": [[0, 30], [10, 30]]},
    ]
    path = tmp_path / "mixed.json"
    path.write_text(
        json.dumps(
            {"shapes": shapes, "imagePath": "mixed.png", "imageHeight": 48, "imageWidth": 64}
        )
    )
    masks = labelme_to_masks(path, width=3)
    assert masks.shape == (5, 48, 64)
    assert masks[0][2:13, 2:13].all() and masks[0].sum() == 121  # filled polygon
    assert masks[1][5:10, 20:31].all() and masks[1].sum() == 55  # filled rectangle
    assert masks[2][20, 40] and masks[2][20, 44] and not masks[2][20, 46]
    assert masks[3][40, 50] and 4 <= masks[3].sum() <= 13  # small disc
    assert masks[4][30, 0:11].all()
    loops = labelme_to_masks(read_labelme(path), labels=["loop"])
    assert loops.shape[0] == 2
    np.testing.assert_array_equal(loops[1], masks[2])


def test_shape_argument_and_missing_size(tmp_path):
    path = tmp_path / "nosize.json"
    path.write_text(
        json.dumps(
            {"shapes": [{"label": "d", "shape_type": "linestrip", "points": [[0, 0], [5, 5]]}]}
        )
    )
    doc = read_labelme(path)
    assert doc.shape is None and doc.image_path is None
    with pytest.raises(ValueError, match="shape=\\(height, width\\)"):
        labelme_to_masks(doc)
    assert labelme_to_masks(doc, shape=(8, 8)).shape == (1, 8, 8)
    assert labelme_to_masks(LabelmeDoc(None, (4, 6), []), width=2).shape == (0, 4, 6)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a readable labelme JSON"),
        ("[1, 2]", "no 'shapes' list"),
        ('{"shapes": [{"shape_type": "mask", "points": [[0, 0], [1, 1]]}]}', "unsupported type"),
        ('{"shapes": [{"shape_type": "polygon", "points": [[0, 0], [1, 1]]}]}', "at least 3"),
        ('{"shapes": [{"shape_type": "line", "points": [["a", 0], [1, 1]]}]}', "non-numeric"),
    ],
)
def test_bad_files_name_the_file(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputFileError, match=f"bad.json.*{message}"):
        read_labelme(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="gone.json: no such file"):
        read_labelme(tmp_path / "gone.json")


def test_write_validates_arguments(tmp_path):
    kwargs = {"image_path": tmp_path / "a.png", "image_shape": (10, 10)}
    with pytest.raises(ValueError, match=r"curves\[0\]"):
        write_labelme(tmp_path / "a.json", [np.array([[1.0, 2.0]])], **kwargs)
    with pytest.raises(ValueError, match=r"curves\[1\].*finite"):
        write_labelme(tmp_path / "a.json", [CURVES[0], np.array([[0, 0], [np.nan, 1]])], **kwargs)
    with pytest.raises(ValueError, match="label"):
        write_labelme(tmp_path / "a.json", CURVES, label=["only-one"], **kwargs)
    with pytest.raises(ValueError, match="standard labelme keys"):
        write_labelme(tmp_path / "a.json", CURVES, extra={"shapes": []}, **kwargs)
    with pytest.raises(ValueError, match="image shape"):
        write_labelme(tmp_path / "a.json", CURVES, image_path="a.png", image_shape=(0, 5))
    with pytest.raises(ValueError, match="width"):
        labelme_to_masks(LabelmeDoc(None, (4, 6), []), width=0)
    assert not (tmp_path / "a.json").exists()


def test_per_curve_labels_and_overwrite(tmp_path):
    path = tmp_path / "a.json"
    path.write_text("old content that must disappear entirely")
    write_labelme(
        path, CURVES, image_path=tmp_path / "a.png", image_shape=(48, 64), label=["screw", "edge"]
    )
    assert [s.label for s in read_labelme(path).shapes] == ["screw", "edge"]
