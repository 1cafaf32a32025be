import numpy as np

from temdefects.particles.evaluate import (
    PER_IMAGE_COLUMNS,
    evaluate_particle_model,
    iou_labels,
    match_labels,
)
from temdefects.particles.pipeline import load_particle_model


def test_iou_and_matching_of_label_images():
    true = np.zeros((10, 20), np.int32)
    true[2:6, 2:6], true[2:6, 10:14] = 1, 2
    pred = np.zeros_like(true)
    pred[2:6, 10:14] = 1  # exactly true 2
    pred[2:6, 2:4] = 2  # half of true 1
    pred[8:10, 0:2] = 3  # nothing
    iou = iou_labels(pred, true)
    assert iou.shape == (3, 2)
    assert iou[0, 1] == 1.0 and iou[1, 0] == 0.5 and iou[2].sum() == 0
    assert match_labels(pred, true) == [(1, 2, 1.0), (2, 1, 0.5)]
    assert match_labels(pred, true, min_iou=0.6) == [(1, 2, 1.0)]
    assert match_labels(np.zeros_like(true), true) == []


def test_evaluation_of_a_tiny_model(tiny_model, tiny_folder):
    model = load_particle_model(tiny_model[0])
    rows, summary = evaluate_particle_model(model, tiny_folder, names=["000003", "000004"])
    assert [r["image"] for r in rows] == ["000003", "000004"]
    assert all(tuple(r) == PER_IMAGE_COLUMNS for r in rows)
    assert summary["images"] == 2
    assert summary["true_particles"] == sum(r["true_particles"] for r in rows) > 0
    assert summary["matched"] == int(np.sum(summary["confusion"]))
    assert np.sum(summary["gt_mask_confusion"]) == summary["true_particles"]
    assert 0 <= summary["dice_pooled"] <= 1 and 0 <= summary["gt_mask_accuracy"] <= 1
    assert summary["classes"] == ["fault", "no_fault", "no_fringes"]
