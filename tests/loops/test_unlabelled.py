"""Partly labelled real images: dark candidates, ignored negatives, validation without them."""

import cv2
import numpy as np
import pytest
import torch

from temdefects.errors import ConfigError
from temdefects.loops.defects import Defects
from temdefects.loops.detector import build_detector
from temdefects.loops.train_config import loop_train_config
from temdefects.loops.train_data import BoxImage, crop_sample, load_box_images
from temdefects.loops.unlabelled import (
    IGNORE_LABEL,
    dark_blobs,
    dark_candidates,
    ignore_unlabelled,
    image_candidates,
    inside_fraction,
    outside_ignore,
    pseudo_labels,
)

TINY = {"input_size": 128, "fpn_channels": 16, "representation": 32}


def test_dark_candidates_keep_blobs_and_drop_lines():
    rng = np.random.default_rng(0)
    image = np.clip(rng.normal(180, 6, (200, 200)), 0, 255).astype(np.uint8)
    for x, y in [(40, 40), (120, 60), (60, 150)]:
        cv2.circle(image, (x, y), 5, 70, -1)
    cv2.line(image, (10, 190), (190, 100), 70, 3)  # a dislocation line: fills little of its box
    boxes = dark_candidates(image)
    centres = sorted(((boxes[:, :2] + boxes[:, 2:]) / 2).round().astype(int).tolist())
    assert centres == [[40, 40], [60, 150], [120, 60]]
    assert len(dark_candidates(np.full((50, 50), 128, np.uint8))) == 0
    with pytest.raises(ValueError, match="2-D"):
        dark_candidates(np.zeros((4, 4, 3)))


def test_inside_fraction_is_the_share_of_each_box():
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0]])
    regions = torch.tensor([[5.0, 0.0, 40.0, 10.0], [0.0, 0.0, 30.0, 25.0]])
    assert inside_fraction(boxes, regions).tolist() == pytest.approx([1.0, 0.5])
    assert inside_fraction(boxes, torch.zeros((0, 4))).tolist() == [0.0, 0.0]


@pytest.fixture(scope="module")
def nets():
    plain = build_detector({**TINY, "classes": ["loop111", "dot"]})
    patched = ignore_unlabelled(build_detector({**TINY, "classes": ["loop111", "dot"]}))
    return plain, patched


def test_anchors_inside_an_ignore_region_are_not_negatives(nets):
    plain, patched = nets
    anchors = [torch.tensor([[0.0, 0, 10, 10], [50, 50, 60, 60], [52, 52, 58, 58], [90, 0, 99, 9]])]
    defect = torch.tensor([[0.0, 0, 10, 10]])
    target = {"boxes": defect, "labels": torch.tensor([1])}
    base, _ = plain.rpn.assign_targets_to_anchors(anchors, [target])
    assert base[0].tolist() == [1.0, 0.0, 0.0, 0.0]
    ignored = {
        "boxes": torch.cat([torch.tensor([[48.0, 48, 62, 62]]), defect]),
        "labels": torch.tensor([IGNORE_LABEL, 1]),
    }
    got, matched = patched.rpn.assign_targets_to_anchors(anchors, [ignored])
    assert got[0].tolist() == [1.0, -1.0, -1.0, 0.0]
    assert matched[0][0].tolist() == [0.0, 0, 10, 10]


def test_proposals_in_ignore_regions_are_skipped_and_indices_stay_right(nets):
    _, patched = nets
    proposals = [torch.tensor([[0.0, 0, 10, 10], [50, 50, 60, 60], [90, 0, 99, 9]])]
    boxes = [torch.tensor([[48.0, 48, 62, 62], [0, 0, 10, 10]])]  # ignore row first
    labels = [torch.tensor([IGNORE_LABEL, 2])]
    matched, got = patched.roi_heads.assign_targets_to_proposals(proposals, boxes, labels)
    assert got[0].tolist() == [2, -1, 0]
    assert matched[0][0].item() == 1  # the defect's row among all rows
    # an image with ignore regions only
    matched, got = patched.roi_heads.assign_targets_to_proposals(
        proposals, [boxes[0][:1]], [labels[0][:1]]
    )
    assert got[0].tolist() == [0, -1, 0]


def test_training_step_runs_with_ignore_rows(nets):
    _, patched = nets
    patched.train()
    patched.transform.min_size, patched.transform.max_size = (64,), 64
    images = [torch.rand(3, 64, 64), torch.rand(3, 64, 64)]
    targets = [
        {
            "boxes": torch.tensor([[10.0, 10, 30, 30], [40, 40, 50, 50]]),
            "labels": torch.tensor([1, -1]),
        },
        {"boxes": torch.tensor([[5.0, 5, 15, 15]]), "labels": torch.tensor([-1])},
    ]
    losses = patched(images, targets)
    assert all(torch.isfinite(v) for v in losses.values())


def test_crop_sample_returns_ignore_rows_after_the_defects():
    image = np.full((64, 64), 150, np.uint8)
    item = BoxImage(
        name="a",
        image=image,
        boxes=np.array([[10, 10, 20, 20]], np.float32),
        labels=np.array([1]),
        factor=1.0,
        ignore=np.array([[30, 30, 40, 40], [50, 5, 60, 15]], np.float32),
    )
    _, boxes, labels = crop_sample(item, 64, np.random.default_rng(1))
    assert labels.tolist() == [1, IGNORE_LABEL, IGNORE_LABEL]
    assert boxes.shape == (3, 4) and labels.dtype == np.int64
    plain = BoxImage("b", image, item.boxes, item.labels, 1.0)
    assert crop_sample(plain, 64, np.random.default_rng(1))[2].tolist() == [1]


def test_validation_does_not_count_boxes_on_ignored_blobs():
    truth = Defects.from_lists([[0, 0, 10, 10]], ["loop111"])
    pred = Defects.from_lists(
        [[0, 0, 10, 10], [31, 31, 8, 8], [70, 70, 8, 8]], ["loop111", "dot", "dot"]
    )
    ignore = np.array([[0, 0, 12, 12], [30, 30, 40, 40]], np.float32)
    kept = outside_ignore(pred, truth, ignore, iou=0.4)
    assert kept.boxes[:, 0].tolist() == [0, 70]
    assert outside_ignore(pred, truth, np.zeros((0, 4), np.float32), iou=0.4) is pred


def test_unlabelled_setting_is_checked():
    base = {"data": {"synth": ["x"]}}
    assert loop_train_config(base).data.unlabelled == "negative"
    with pytest.raises(ConfigError, match="unlabelled"):
        loop_train_config({"data": {"synth": ["x"], "unlabelled": "maybe"}})


def test_image_candidates_are_in_the_image_px():
    image = np.full((1024, 1024), 200, np.uint8)
    cv2.circle(image, (300, 700), 12, 60, -1)
    (box,) = image_candidates(image)
    assert abs((box[0] + box[2]) / 2 - 300) < 3 and abs((box[1] + box[3]) / 2 - 700) < 3


def _partly_labelled_image():
    rng = np.random.default_rng(2)
    image = np.clip(rng.normal(190, 4, (256, 256)), 0, 255).astype(np.uint8)
    cv2.circle(image, (40, 40), 5, 60, -1)  # a small round solid blob: a dot
    cv2.ellipse(image, (150, 60), (22, 8), 30, 0, 360, 60, -1)  # a long solid one: <100>
    cv2.circle(image, (60, 180), 20, 60, 3)  # an unboxed ring
    cv2.circle(image, (190, 190), 20, 60, 3)  # the labelled <111> loop
    return image, np.array([[168, 168, 212, 212]], np.float32)


def test_pseudo_labels_name_solid_blobs_by_shape_and_ignore_rings():
    image, labelled = _partly_labelled_image()
    blobs, solid = dark_blobs(image)
    boxes, classes, ignore = pseudo_labels(blobs, solid, labelled)
    centres = ((boxes[:, :2] + boxes[:, 2:]) / 2).round().astype(int).tolist()
    assert sorted(zip(classes, map(tuple, centres), strict=True)) == [
        ("dot", (40, 40)),
        ("loop100", (150, 60)),
    ]
    assert len(ignore) == 1
    assert abs((ignore[0, 0] + ignore[0, 2]) / 2 - 60) < 3  # the unboxed ring
    none = pseudo_labels(blobs[:0], solid[:0], labelled)
    assert len(none[0]) == 0 and none[1] == [] and len(none[2]) == 0


def test_label_dark_loads_pseudo_labels_for_training(tmp_path):
    image, labelled = _partly_labelled_image()
    (tmp_path / "images").mkdir()
    (tmp_path / "boxes").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "a.png"), image)
    (tmp_path / "boxes" / "a.txt").write_text("168 168 212 212\n")
    kw = {"classes": ("loop111", "loop100", "dot"), "input_size": 256}
    (item,) = load_box_images(
        tmp_path / "images", tmp_path / "boxes", ["a"], **kw, unlabelled="label-dark"
    )
    assert sorted(item.labels.tolist()) == [1, 2, 3] and len(item.ignore) == 1
    (plain,) = load_box_images(tmp_path / "images", tmp_path / "boxes", ["a"], **kw)
    assert plain.labels.tolist() == [1] and len(plain.ignore) == 0
