"""Dataset folders: files, replay, worker independence, COCO and CSV tables."""

import csv
import json

import numpy as np
import pytest

from temdefects.errors import InputFileError, TemdefectsError
from temdefects.io.images import encode_png
from temdefects.synth.loops.dataset import generate_loop_dataset
from temdefects.synth.loops.files import (
    mask_polygons,
    read_loop_record,
    read_loop_sample,
    replay_loop_record,
)

from .helpers import quiet_config

CONFIG = quiet_config(
    size=(64, 64),
    noise={"probability": 1.0},
    dislocations={"count": 1},
    loop111={"count": [1, 3], "diameter": [8, 24]},
    loop100={"count": [1, 2], "diameter": [8, 24]},
    dot={"count": [2, 5]},
)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loops") / "run"
    report = generate_loop_dataset(folder, CONFIG, count=3, seed=7)
    return folder, report


def files_of(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_folder_content(run):
    folder, report = run
    assert report.written == [0, 1, 2] and not report.failed
    names = set(files_of(folder))
    expected = {f"00000{i}.{ext}" for i in range(3) for ext in ("png", "npz", "json")}
    assert names == expected | {"annotations.json", "labels.csv", "dataset.json"}
    manifest = json.loads((folder / "dataset.json").read_text())
    assert manifest["seed"] == 7 and manifest["count"] == 3
    record = read_loop_record(folder / "000001.json")
    assert record["format"] == "temdefects.synth.loops.record/1"
    assert record["seed"] == 7 and record["index"] == 1 and record["config"]["size"] == [64, 64]
    assert record["temdefects_version"]


def test_replay_reproduces_the_image_bytes(run):
    folder, _ = run
    for i in range(3):
        stored = read_loop_sample(folder, i)
        again = replay_loop_record(folder / f"00000{i}.json")
        assert encode_png(again.image) == (folder / f"00000{i}.png").read_bytes()
        assert np.array_equal(again.masks, stored.masks) and again.labels == stored.labels


def test_output_does_not_depend_on_workers(run, tmp_path):
    folder, _ = run
    generate_loop_dataset(tmp_path / "two", CONFIG, count=3, seed=7, workers=2)
    assert files_of(tmp_path / "two") == files_of(folder)


def test_coco_document_is_consistent(run):
    folder, _ = run
    coco = json.loads((folder / "annotations.json").read_text())
    cats = {c["id"]: c["name"] for c in coco["categories"]}
    assert sorted(cats.values()) == ["dot", "loop100", "loop111"]
    images = {im["id"]: im for im in coco["images"]}
    assert len(images) == 3 and [im["file_name"] for im in coco["images"]] == [
        "000000.png",
        "000001.png",
        "000002.png",
    ]
    ids = [a["id"] for a in coco["annotations"]]
    assert len(ids) == len(set(ids)) > 0
    per_image = {i: 0 for i in images}
    for a in coco["annotations"]:
        im = images[a["image_id"]]
        per_image[a["image_id"]] += 1
        assert a["category_id"] in cats and a["iscrowd"] == 0
        x, y, w, h = a["bbox"]
        assert 0 <= x and 0 <= y and w > 0 and h > 0
        assert x + w <= im["width"] and y + h <= im["height"]
        assert 0 < a["area"] <= w * h
        for poly in a["segmentation"]:
            pts = np.reshape(poly, (-1, 2))
            assert len(pts) >= 3
            assert (pts >= [x, y]).all() and (pts <= [x + w, y + h]).all()
        cx, cy = a["ellipse"][:2]
        assert x <= cx <= x + w and y <= cy <= y + h
    for image_id, n in per_image.items():
        record = read_loop_record(folder / images[image_id]["file_name"].replace(".png", ".json"))
        assert n == len(record["labels"])
        classes = [cats[a["category_id"]] for a in coco["annotations"] if a["image_id"] == image_id]
        assert classes == [lab["class"] for lab in record["labels"]]


def test_labels_csv_matches_the_records(run):
    folder, _ = run
    with open(folder / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == "image,class,x,y,major,minor,angle,bx,by,width,height".split(",")
    labels = [
        (f"00000{i}", lab)
        for i in range(3)
        for lab in read_loop_record(folder / f"00000{i}.json")["labels"]
    ]
    assert len(rows) == len(labels)
    for row, (name, lab) in zip(rows, labels, strict=True):
        assert row["image"] == name and row["class"] == lab["class"]
        assert [int(row[k]) for k in ("bx", "by", "width", "height")] == lab["box"]
        assert abs(float(row["major"]) - lab["ellipse"][2]) < 1e-3


def test_refuses_non_empty_folder_and_overwrite_keeps_foreign_files(tmp_path):
    out = tmp_path / "d"
    generate_loop_dataset(out, CONFIG, count=2, seed=1)
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(TemdefectsError, match="not empty"):
        generate_loop_dataset(out, CONFIG, count=1, seed=1)
    generate_loop_dataset(out, CONFIG, count=1, seed=2, overwrite=True)
    assert (out / "notes.txt").read_text() == "keep me"
    assert not (out / "000001.png").exists()
    assert json.loads((out / "dataset.json").read_text())["seed"] == 2


def test_bad_arguments_and_files(tmp_path):
    with pytest.raises(TemdefectsError, match="count"):
        generate_loop_dataset(tmp_path / "a", CONFIG, count=0, seed=0)
    with pytest.raises(TemdefectsError, match="workers"):
        generate_loop_dataset(tmp_path / "a", CONFIG, count=1, seed=0, workers=0)
    (tmp_path / "x.json").write_text('{"format": "something/1"}')
    with pytest.raises(InputFileError, match="not a temdefects synthetic loop"):
        read_loop_record(tmp_path / "x.json")


def test_polygons_of_thin_masks_have_three_or_more_vertices():
    mask = np.zeros((8, 8), bool)
    mask[3, 4] = True
    assert mask_polygons(mask, [4, 3, 1, 1]) == [[4.0, 3.0, 5.0, 3.0, 5.0, 4.0, 4.0, 4.0]]
    mask[2:5, 1:4] = True
    mask[3, 4] = False
    (poly,) = mask_polygons(mask, [1, 2, 3, 3])
    assert sorted(zip(poly[::2], poly[1::2], strict=True)) == [
        (1.5, 2.5),
        (1.5, 4.5),
        (3.5, 2.5),
        (3.5, 4.5),
    ]
