"""Detector construction, its input channels, and the crops and boxes it trains on."""

import dataclasses

import cv2
import numpy as np
import pytest
import torch

from temdefects.errors import ConfigError
from temdefects.loops.detector import (
    DetectorConfig,
    build_detector,
    detector_config_from_dict,
    detector_input,
    nested_in_higher,
    resize_factor,
    run_detector,
)
from temdefects.loops.train_data import BoxImage, crop_sample, transform_boxes


def test_config_round_trip_and_errors():
    cfg = DetectorConfig(input_size=256, channels="raw")
    assert detector_config_from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="detector.depth: unknown parameter"):
        detector_config_from_dict({"depth": 3})
    with pytest.raises(ConfigError, match="backbone"):
        DetectorConfig(backbone="vgg99")
    with pytest.raises(ConfigError, match="input_size"):
        DetectorConfig(input_size=10)
    with pytest.raises(ConfigError, match="anchor_sizes"):
        DetectorConfig(anchor_sizes=(8, 16))
    with pytest.raises(ConfigError, match="unknown class"):
        DetectorConfig(classes=("loop111", "void"))


def test_detector_input_channels():
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 3000, 80)[None, :]  # a slow ramp: CLAHE flattens it
    image = (ramp + rng.random((96, 80)) * 1000).astype(np.uint16)
    x = detector_input(image)
    assert x.shape == (3, 96, 80) and x.dtype == np.float32
    np.testing.assert_allclose(x.mean(axis=(1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(x.std(axis=(1, 2)), 1, atol=1e-3)
    # the blur channel is smoother than the raw channel, CLAHE differs from both
    assert np.abs(np.diff(x[2], axis=1)).mean() < 0.6 * np.abs(np.diff(x[0], axis=1)).mean()
    assert np.abs(x[1] - x[0]).mean() > 0.02  # equalised; see the scikit-image test below
    raw = detector_input(image, "raw")
    np.testing.assert_array_equal(raw[0], raw[1])
    flat = detector_input(np.full((32, 32), 7.0))
    assert np.isfinite(flat).all() and not flat.any()
    with pytest.raises(ValueError, match="channels"):
        detector_input(image, "rgb")


def test_clahe_matches_scikit_image_defaults():
    from skimage.exposure import equalize_adapthist

    rng = np.random.default_rng(1)
    base = cv2.GaussianBlur(rng.random((512, 512)).astype(np.float32), (0, 0), 12)
    base = (base - base.min()) / (base.max() - base.min())
    ours = detector_input(base)[1]
    ref = equalize_adapthist(base).astype(np.float32)
    ref = (ref - ref.mean()) / ref.std()
    assert np.corrcoef(ours.ravel(), ref.ravel())[0, 1] > 0.98


def test_resize_factor():
    assert resize_factor((1024, 2048), 512) == 0.25
    assert resize_factor((300, 200), 0) == 1.0


@pytest.mark.parametrize("k", [0, 1, 2, 3])
@pytest.mark.parametrize("flip", [False, True])
def test_transform_boxes_follows_rot90_and_flip(k, flip):
    size = 20
    mask = np.zeros((size, size), bool)
    mask[3:9, 2:14] = True  # rows y 3..8, columns x 2..13: box x0 2, y0 3, x1 14, y1 9
    out = np.rot90(mask, k)
    if flip:
        out = out[:, ::-1]
    ys, xs = np.nonzero(out)
    expected = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    got = transform_boxes(np.array([[2.0, 3.0, 14.0, 9.0]]), size, k, flip)
    np.testing.assert_allclose(got[0], expected)


def _item():
    noise = np.random.default_rng(5).normal(0, 8, (100, 120))
    image = np.clip(180 + noise, 0, 255).astype(np.uint8)
    cv2.circle(image, (30, 40), 8, 40, 2)
    cv2.circle(image, (95, 70), 3, 30, -1)
    boxes = np.array([[21.0, 31.0, 40.0, 50.0], [91.0, 66.0, 100.0, 75.0]], np.float32)
    return BoxImage("a", image, boxes, np.array([1, 3]), 1.0)


def test_crop_sample_keeps_boxes_on_their_defects():
    item = _item()
    rng = np.random.default_rng(3)
    kept = 0
    for _ in range(20):
        x, boxes, labels = crop_sample(item, 64, rng, channels="raw", min_visible=0.5)
        assert x.shape == (3, 64, 64) and len(boxes) == len(labels)
        assert set(labels.tolist()) <= {1, 3}
        for b in boxes:
            assert 0 <= b[0] < b[2] <= 64 and 0 <= b[1] < b[3] <= 64
            inside = x[0, int(b[1]) : int(np.ceil(b[3])), int(b[0]) : int(np.ceil(b[2]))]
            assert inside.min() < x[0].mean() - 1.0  # a dark defect lies in every box
            kept += 1
    assert kept > 0
    # an image smaller than the crop is padded, its boxes kept whole
    x, boxes, labels = crop_sample(item, 128, np.random.default_rng(0), channels="raw")
    assert x.shape == (3, 128, 128) and len(boxes) == 2


@pytest.fixture(scope="module")
def tiny_net():
    torch.manual_seed(0)
    cfg = DetectorConfig(input_size=128, fpn_channels=16, representation=32)
    return build_detector(cfg), cfg


def test_detector_trains_and_predicts_in_input_px(tiny_net):
    net, cfg = tiny_net
    assert sum(p.numel() for p in net.parameters()) > 0
    x = [torch.from_numpy(detector_input(_item().image))]
    target = [{"boxes": torch.tensor([[21.0, 31, 40, 50]]), "labels": torch.tensor([1])}]
    net.train()
    net.transform.min_size, net.transform.max_size = (100,), 120
    losses = net(x, target)
    assert {"loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    big = cv2.resize(_item().image, (480, 400))
    boxes, labels, scores = run_detector(net, cfg, big)
    assert boxes.shape[1] == 4 and len(labels) == len(scores) == len(boxes)
    if len(boxes):  # boxes come back in px of the 480x400 input, not the 128 px working size
        assert (boxes[:, 0] >= -1).all() and (boxes[:, 0] + boxes[:, 2] <= 481).all()
        assert set(labels.tolist()) <= {0, 1, 2}
    with pytest.raises(ValueError, match="2D image"):
        run_detector(net, cfg, np.zeros((4, 4)))


def test_class_agnostic_head_gives_one_box_per_proposal_scored_as_any_defect():
    torch.manual_seed(0)
    cfg = DetectorConfig(input_size=128, fpn_channels=16, representation=32)
    agn = dataclasses.replace(cfg, class_agnostic=True)
    per_class, agnostic = build_detector(cfg), build_detector(agn)
    agnostic.load_state_dict(per_class.state_dict())
    heads = agnostic.roi_heads
    # three proposals; logits: background, loop111, loop100, dot
    proposals = [torch.tensor([[10.0, 10, 30, 30], [11, 11, 31, 31], [60, 60, 80, 80]])]
    logits = torch.log(
        torch.tensor([[0.2, 0.4, 0.1, 0.3], [0.3, 0.1, 0.1, 0.5], [0.9, 0.05, 0.03, 0.02]])
    )
    regression = torch.zeros(3, 16)
    boxes, scores, labels = heads.postprocess_detections(
        logits, regression, proposals, [(128, 128)]
    )
    # the two overlapping proposals are one defect: the better one is kept, scored
    # 1 - p(background) = 0.8 with its most likely class (loop111, label 1)
    assert scores[0].tolist() == pytest.approx([0.8, 0.1], abs=1e-6)
    assert labels[0].tolist() == [1, 1]
    assert boxes[0][0].tolist() == pytest.approx([10, 10, 30, 30])
    # the per-class head splits the first defect into boxes of each class
    _, s, lab = per_class.roi_heads.postprocess_detections(
        logits, regression, proposals, [(128, 128)]
    )
    assert max(s[0].tolist()) < 0.6 and len(set(lab[0].tolist())) == 3
    with pytest.raises(ConfigError, match="class_agnostic"):
        DetectorConfig(class_agnostic="yes")
    with pytest.raises(ConfigError, match="nested"):
        DetectorConfig(nested=1.5)


def test_nested_boxes_dropped_greedily_by_score():
    boxes = np.array(
        [[0, 0, 20, 20], [4, 4, 12, 12], [0, 0, 19, 21], [40, 40, 50, 50], [41, 41, 49, 49]],
        float,
    )
    scores = np.array([0.5, 0.9, 0.4, 0.3, 0.2])
    # the core box (0.9) drops the whole blob's boxes (its area lies inside them);
    # the far pair keeps its better box only
    assert nested_in_higher(boxes, scores, 0.8).tolist() == [True, False, True, False, True]
    # a bar that only crosses a box keeps it
    cross = np.array([[0, 8, 40, 12], [18, 0, 22, 40]], float)
    assert not nested_in_higher(cross, np.array([0.9, 0.8]), 0.8).any()
    assert nested_in_higher(boxes[:1], scores[:1], 0.8).tolist() == [False]
