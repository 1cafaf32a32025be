import json

import numpy as np
import pytest

from temdefects.errors import InputFileError
from temdefects.loops.groundtruth import (
    detect_truth_format,
    polygon_ellipse,
    read_box_txt,
    read_coco,
    read_imagej_csv,
    read_truth,
    read_yolo_polygons,
)


def test_box_txt_is_ymin_xmin_ymax_xmax(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("10 20 30 60\n\n  5 5 9 7\n")
    d = read_box_txt(p)
    np.testing.assert_allclose(d.boxes, [[20, 10, 40, 20], [5, 5, 2, 4]])
    assert d.classes == ("loop111", "loop111") and not d.has_ellipse.any()
    assert read_box_txt(p, cls="dot").classes == ("dot", "dot")
    (tmp_path / "e.txt").write_text("")
    assert len(read_box_txt(tmp_path / "e.txt")) == 0


@pytest.mark.parametrize(
    "text,match",
    [
        ("1 2 3 4\n1 2 3\n", r"b\.txt:2: expected 4 numbers"),
        ("1 2 3 x\n", r"b\.txt:1: expected numbers"),
        ("10 10 5 20\n", r"b\.txt:1: empty box"),
        ("1 2 3 nan\n", r"b\.txt:1: non-finite"),
    ],
)
def test_box_txt_errors_name_file_and_line(tmp_path, text, match):
    (tmp_path / "b.txt").write_text(text)
    with pytest.raises(InputFileError, match=match):
        read_box_txt(tmp_path / "b.txt")


def test_box_txt_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        read_box_txt(tmp_path / "none.txt")


def _coco(tmp_path, annotations, categories=None):
    doc = {
        "images": [
            {"id": 1, "file_name": "000000.png", "height": 64, "width": 80},
            {"id": 2, "file_name": "sub/000001.png", "height": 64, "width": 80},
        ],
        "annotations": annotations,
        "categories": categories
        or [{"id": 1, "name": "loop111"}, {"id": 2, "name": "loop100"}, {"id": 3, "name": "dot"}],
    }
    p = tmp_path / "annotations.json"
    p.write_text(json.dumps(doc))
    return p


def test_coco_boxes_classes_ellipses_and_sizes(tmp_path):
    square = [[10, 10, 14, 10, 14, 14, 10, 14]]
    p = _coco(
        tmp_path,
        [
            {"id": 1, "image_id": 1, "category_id": 3, "bbox": [5, 6, 4, 3],
             "ellipse": [7.5, 8.0, 4.0, 3.0, 10.0]},
            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [10, 10, 4, 4],
             "segmentation": square},
            {"id": 3, "image_id": 1, "category_id": 2, "bbox": [1, 1, 2, 2]},
        ],
    )  # fmt: skip
    defects, shapes = read_coco(p)
    assert shapes == {"000000": (64, 80), "000001": (64, 80)}
    assert len(defects["000001"]) == 0
    d = defects["000000"]
    assert d.classes == ("dot", "loop111", "loop100")
    np.testing.assert_allclose(d.boxes[0], [5, 6, 4, 3])
    np.testing.assert_allclose(d.ellipses[0], [7.0, 7.5, 4.0, 3.0, 10.0])  # -0.5 to centres
    np.testing.assert_allclose(d.ellipses[1, :2], [11.5, 11.5])  # polygon moments
    assert d.ellipses[1, 2] == pytest.approx(d.ellipses[1, 3])
    assert d.has_ellipse.tolist() == [True, True, False]


def test_coco_class_map_and_errors(tmp_path):
    cats = [{"id": 7, "name": "hcloop"}]
    ann = [{"id": 4, "image_id": 1, "category_id": 7, "bbox": [1, 1, 3, 3]}]
    p = _coco(tmp_path, ann, cats)
    with pytest.raises(InputFileError, match="annotation 4: unknown class 'hcloop'"):
        read_coco(p)
    assert read_coco(p, class_map={"hcloop": "loop111"})[0]["000000"].classes == ("loop111",)
    p = _coco(tmp_path, [{"id": 5, "image_id": 9, "category_id": 1, "bbox": [1, 1, 3, 3]}])
    with pytest.raises(InputFileError, match="annotation 5"):
        read_coco(p)
    p = _coco(tmp_path, [{"id": 6, "image_id": 1, "category_id": 1, "bbox": [1, 1, 3]}])
    with pytest.raises(InputFileError, match="annotation 6: bbox"):
        read_coco(p)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(InputFileError, match="bad.json: not a readable JSON"):
        read_coco(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"images": []}')
    with pytest.raises(InputFileError, match="not a COCO file"):
        read_coco(tmp_path / "other.json")


def test_polygon_ellipse_of_a_rectangle_and_a_circle():
    x, y, major, minor, angle = polygon_ellipse(np.array([[0, 0], [4, 0], [4, 2], [0, 2]], float))
    assert (x, y, angle) == pytest.approx((1.5, 0.5, 0.0))
    assert major == pytest.approx(4 * np.sqrt(16 / 12)) and minor == pytest.approx(4 / np.sqrt(3))
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    x, y, major, minor, angle = polygon_ellipse(np.c_[50 + 10 * np.cos(t), 40 + 10 * np.sin(t)])
    assert (major, minor) == pytest.approx((20, 20), abs=0.01)
    with pytest.raises(ValueError, match="no area"):
        polygon_ellipse(np.array([[0, 0], [1, 1], [2, 2]], float))


def test_yolo_polygons_scaled_to_the_image(tmp_path):
    p = tmp_path / "img.txt"
    p.write_text("0 0.1 0.2 0.3 0.2 0.3 0.6 0.1 0.6\n2 0.5 0.5 0.6 0.5 0.55 0.6\n")
    d = read_yolo_polygons(p, shape=(50, 100))
    np.testing.assert_allclose(d.boxes[0], [10, 10, 20, 20])
    assert d.classes == ("loop111", "dot")
    np.testing.assert_allclose(d.ellipses[0, :2], [19.5, 19.5])
    d = read_yolo_polygons(p, shape=(50, 100), classes=["dot", "x", "loop100"])
    assert d.classes == ("dot", "loop100")


@pytest.mark.parametrize(
    "line,match",
    [
        ("0 0.1 0.2 0.3 0.2", r"y\.txt:1: expected 'class x1 y1"),
        ("0 0.1 0.2 0.3 0.2 0.3 0.6 0.1", r"y\.txt:1: expected 'class x1 y1"),
        ("5 0.1 0.2 0.3 0.2 0.3 0.6", r"y\.txt:1: class index '5'"),
        ("0 0.1 0.2 1.3 0.2 0.3 0.6", r"y\.txt:1: polygon coordinates"),
        ("0 0.1 0.1 0.2 0.2 0.3 0.3", r"y\.txt:1: the polygon encloses no area"),
    ],
)
def test_yolo_errors_name_file_and_line(tmp_path, line, match):
    (tmp_path / "y.txt").write_text(line + "\n")
    with pytest.raises(InputFileError, match=match):
        read_yolo_polygons(tmp_path / "y.txt", shape=(10, 10))


def test_imagej_csv_converts_angle_centre_and_scale(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text(
        " ,Area,X,Y,Major,Minor,Angle,BX,BY,Width,Height,Class\n"
        "1,5,10.5,20.5,8,4,30,6,18,9,5,dot\n"
        "2,5,40.5,20.5,8,4,150,36,18,9,5,loop100\n"
    )
    d = read_imagej_csv(p)
    assert d.classes == ("dot", "loop100")
    np.testing.assert_allclose(d.ellipses[0], [10, 20, 8, 4, 150])
    np.testing.assert_allclose(d.ellipses[1, 4], 30)
    np.testing.assert_allclose(d.boxes[0], [6, 18, 9, 5])
    half = read_imagej_csv(p, scale=0.5)
    np.testing.assert_allclose(half.ellipses[0, :4], [20.5, 40.5, 16, 8])
    p.write_text("X,Y,Major,Minor,Angle,BX,BY,Width,Height\n1,1,2,2,0,0,0,2,2\n")
    assert read_imagej_csv(p, cls="loop100").classes == ("loop100",)


def test_imagej_csv_errors(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("X,Y,Major,Minor,Angle\n1,1,2,2,0\n")
    with pytest.raises(InputFileError, match=r"r\.csv:1: missing ImageJ column\(s\) bx, by"):
        read_imagej_csv(p)
    p.write_text("X,Y,Major,Minor,Angle,BX,BY,Width,Height\n1,1,2,2,0,0,0,2,2\n1,a,2,2,0,0,0,2,2\n")
    with pytest.raises(InputFileError, match=r"r\.csv:3: expected numbers"):
        read_imagej_csv(p)
    p.write_text("X,Y,Major,Minor,Angle,BX,BY,Width,Height,class\n1,1,2,2,0,0,0,2,2,void\n")
    with pytest.raises(InputFileError, match=r"r\.csv:2: unknown class 'void'"):
        read_imagej_csv(p)


def test_detect_format_and_read_truth(tmp_path):
    boxes, yolo, ij = tmp_path / "boxes", tmp_path / "yolo", tmp_path / "ij"
    for d in (boxes, yolo, ij):
        d.mkdir()
    (boxes / "a.txt").write_text("\n1 2 3 4\n")
    (yolo / "a.txt").write_text("1 0.1 0.2 0.3 0.2 0.3 0.6\n")
    (ij / "a.csv").write_text("X,Y,Major,Minor,Angle,BX,BY,Width,Height\n1,1,2,2,0,0,0,2,2\n")
    p = _coco(tmp_path, [])
    assert [detect_truth_format(x) for x in (boxes, yolo, ij, p, tmp_path)] == [
        "boxes", "yolo", "imagej", "coco", "coco"
    ]  # fmt: skip
    assert read_truth(boxes).defects["a"].boxes.tolist() == [[2, 1, 2, 2]]
    t = read_truth(yolo, shapes={"a": (10, 10)})
    assert t.format == "yolo" and t.defects["a"].classes == ("loop100",)
    assert read_truth(tmp_path).shapes["000000"] == (64, 80)
    with pytest.raises(InputFileError, match="image size is unknown"):
        read_truth(yolo)
    with pytest.raises(InputFileError, match="no such file or folder"):
        read_truth(tmp_path / "missing")
    with pytest.raises(InputFileError, match="unknown ground-truth format 'voc'"):
        read_truth(boxes, format="voc")
    with pytest.raises(InputFileError, match="no .csv label files"):
        read_truth(boxes, format="imagej")
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "x.txt").write_text("a b c\n")
    with pytest.raises(InputFileError, match="cannot tell the label format"):
        detect_truth_format(tmp_path / "odd")
