"""Detector construction, its input channels, and the crops and boxes it trains on."""

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
    resize_factor,
    run_detector,
)
from temdefects.loops.train_data import BoxImage, crop_sample, transform_boxes


def test_config_round_trip_and_errors():
    cfg = DetectorConfig(input_size=256, channels="raw")
    assert detector_config_from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="unknown key"):
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
