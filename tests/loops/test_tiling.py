"""Tiled detection, the automatic working scale and the scale/invert augmentation."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from scipy import ndimage
from torch import nn

from temdefects.loops.detector import DetectorConfig, run_detector
from temdefects.loops.tiling import _cores, auto_factor, detect_tiled, tile_starts
from temdefects.loops.train_data import BoxImage, crop_sample


@pytest.mark.parametrize("length", [100, 512, 513, 1000, 2048, 2049])
def test_tiles_cover_with_overlap_and_cores_partition(length):
    tile, overlap = 512, 128
    starts = tile_starts(length, tile, overlap)
    t = min(tile, length)
    covered = np.zeros(length, int)
    for s in starts:
        assert 0 <= s <= length - t
        covered[s : s + t] += 1
    assert covered.min() >= 1
    for a, b in zip(starts, starts[1:], strict=False):
        assert a + t - b >= overlap  # neighbours share at least the overlap
    cores = _cores(starts, t, length)
    assert cores[0][0] == 0 and cores[-1][1] == length
    for (lo, hi), (lo2, _), s in zip(cores, cores[1:], starts, strict=False):
        assert hi == lo2 and s <= lo < hi <= s + t


class BlobDetector(nn.Module):
    """A stand-in for Faster R-CNN: one box per bright blob of channel 0, in tile px.

    Blobs cut by the tile border come back cut, as a real detector's would.
    """

    def __init__(self):
        super().__init__()
        self.transform = SimpleNamespace(min_size=(512,), max_size=512)
        self.calls = 0

    def forward(self, images):
        out = []
        for x in images:
            self.calls += 1
            lab, n = ndimage.label(x[0].numpy() > 1.0)
            boxes = [
                [s[1].start, s[0].start, s[1].stop, s[0].stop] for s in ndimage.find_objects(lab)
            ]
            out.append(
                {
                    "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                    "labels": torch.ones(n, dtype=torch.int64),
                    "scores": torch.full((n,), 0.9),
                }
            )
        return out


def _blobs(shape, centres, radius):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    img = np.zeros(shape, np.float32)
    for cy, cx in centres:
        img[(yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2] = 1.0
    return img


def test_detect_tiled_reports_each_blob_once_whole():
    # blobs on tile borders and in overlaps of a 1000 px image in 512 px tiles
    centres = [(100, 100), (250, 495), (500, 500), (900, 760), (700, 244)]
    img = _blobs((1000, 1000), centres, 12)
    x = np.repeat(((img - img.mean()) / img.std())[None], 3, 0).astype(np.float32)
    xyxy, labels, scores = detect_tiled(BlobDetector(), x, 512, 128)
    assert len(xyxy) == len(centres)
    got = sorted(((b[1] + b[3]) / 2, (b[0] + b[2]) / 2) for b in xyxy)
    np.testing.assert_allclose(got, sorted((cy + 0.5, cx + 0.5) for cy, cx in centres), atol=0.01)
    np.testing.assert_allclose(xyxy[:, 2] - xyxy[:, 0], 25)  # whole, not cut by a tile
    assert (labels == 1).all() and (scores > 0.8).all()


def test_auto_factor_rules():
    assert auto_factor(0.25, np.full(10, 40.0)) == 0.25  # large enough at the coarse scale
    assert auto_factor(0.25, np.full(10, 12.0)) == pytest.approx(0.5)  # median 12 -> 24 px
    assert auto_factor(0.25, np.full(2, 40.0)) == 1.0  # too few to read a size: 4x finer
    assert auto_factor(0.5, np.full(10, 3.0)) == 1.0  # capped at native
    assert auto_factor(1.0, np.full(10, 3.0)) == 1.0  # never upsampled past native


def test_auto_measures_again_after_each_finer_pass(monkeypatch):
    # A 2048 px frame whose coarse pass sees only 4 large blobs (48 px, 12 px at 1/4):
    # magnified to 1/2, it also sees 100 defects of 16 px, now 8 px each: still small,
    # so a third pass runs at native resolution, where they are 16 px, and stops.
    import temdefects.loops.detector as detector

    factors = []

    def fake(model, config, image, f, device):
        factors.append(f)
        sides = [48.0] * 4 + ([16.0] * 100 if f > 0.3 else [])
        xyxy = np.array([[0.0, 0.0, s, s] for s in sides])
        return xyxy, np.zeros(len(sides), int), np.full(len(sides), 0.9)

    monkeypatch.setattr(detector, "_detect_at", fake)
    config = DetectorConfig(classes=("dot",))
    boxes, _, _ = run_detector(None, config, np.zeros((2048, 2048)), factor="auto")
    assert factors == pytest.approx([0.25, 0.5, 1.0]) and len(boxes) == 104

    def large(model, config, image, f, device):  # 80 px: 20 px at 1/4, large enough
        factors.append(f)
        return np.array([[0.0, 0.0, 80.0, 80.0]] * 4), np.zeros(4, int), np.full(4, 0.9)

    factors.clear()
    monkeypatch.setattr(detector, "_detect_at", large)
    run_detector(None, config, np.zeros((2048, 2048)), factor="auto")
    assert factors == [0.25]


@pytest.mark.slow
def test_run_detector_auto_goes_native_for_small_defects():
    # 2048 px image with 6 px blobs: invisible after shrinking 4x, found in native tiles
    # (a grid of 1024, so that they pass the 99.5 % clip of the detector input)
    centres = [(y, x) for y in range(30, 2048, 64) for x in range(30, 2048, 64)]
    img = _blobs((2048, 2048), centres, 3)
    config = DetectorConfig(classes=("dot",))
    net = BlobDetector()
    boxes, labels, _ = run_detector(net, config, img, factor="auto", decide_score=0.5)
    coarse_calls = 1
    assert net.calls > coarse_calls  # a finer, tiled pass ran
    assert len(boxes) == len(centres)
    assert (labels == 0).all()
    np.testing.assert_allclose(np.sort(boxes[:, 2]), 7, atol=0.01)  # native px
    # an image of large blobs stays at the coarse scale: one call
    big = _blobs((2048, 2048), [(500, 500), (1500, 1200), (1000, 300)], 80)
    net = BlobDetector()
    boxes, _, _ = run_detector(net, config, big, factor="auto", decide_score=0.5)
    assert net.calls == 1 and len(boxes) == 3
    with pytest.raises(ValueError, match="auto"):
        run_detector(net, config, big, factor="sometimes")


def _item():
    img = np.full((200, 200), 200, np.uint8)
    img[90:110, 90:110] = 20  # one 20 px dark square
    box = np.array([[90, 90, 110, 110]], np.float32)
    return BoxImage("x", img, box, np.array([1]), 1.0)


def test_crop_sample_zoom_scales_boxes_and_invert_flips_contrast():
    item = _item()
    sizes = []
    for seed in range(20):
        _, boxes, _ = crop_sample(item, 160, np.random.default_rng(seed), zoom=(2.0, 2.0))
        sizes += [b[2] - b[0] for b in boxes if (b[2] - b[0]) > 39 and b[3] - b[1] > 39]
    assert sizes and np.allclose(sizes, 40.0, atol=0.01)  # 20 px magnified twice
    # off by default: the same draws as before the options existed
    a = crop_sample(item, 64, np.random.default_rng(3))
    b = crop_sample(item, 64, np.random.default_rng(3), zoom=(1.0, 1.0), invert=0.0)
    np.testing.assert_array_equal(a[0], b[0])
    # inverted crops: the square becomes the brightest part of channel 0
    x, boxes, _ = crop_sample(item, 256, np.random.default_rng(1), invert=1.0)
    x0, y0, x1, y1 = boxes[0].astype(int)
    assert x[0, y0 + 2 : y1 - 2, x0 + 2 : x1 - 2].mean() > x[0].mean() + 1.0
