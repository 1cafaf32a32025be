import numpy as np
import pytest
import torch

from temdefects.analysis.pipeline import AnalysisOptions, analyze_image, prepare_image


class Oracle(torch.nn.Module):
    """A stand-in network that 'predicts' one fixed line, at whatever input size."""

    multiple = 32

    def __init__(self, segment):
        super().__init__()
        self.segment = segment  # (x0, y0, x1, y1) as fractions of the input size
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        import cv2

        b, _, h, w = x.shape
        m = np.zeros((h, w), np.float32)
        x0, y0, x1, y1 = self.segment
        cv2.line(m, (round(x0 * w), round(y0 * h)), (round(x1 * w), round(y1 * h)), 1.0, 5)
        logits = torch.from_numpy(np.where(m > 0, 8.0, -8.0)).float()[None, None]
        logits = logits.repeat(b, 2, 1, 1)
        logits[:, 1] = -8.0
        return logits, None


def test_large_frames_are_downscaled_and_reported_in_original_pixels():
    model = Oracle((0.1, 0.2, 0.9, 0.25))
    # Sizes whose full and 1/4 versions are multiples of 32: no padding, so the
    # stand-in's fractions mean the same pixels in both runs.
    image = np.random.default_rng(0).random((1024, 1536)).astype(np.float32)
    small = analyze_image(model, image, options=AnalysisOptions(max_side=384))
    full = analyze_image(model, image, options=AnalysisOptions(max_side=2048))
    assert small.factor == pytest.approx(0.25) and full.factor == 1.0
    assert small.shape == full.shape == (1024, 1536)
    assert len(small.dislocations) == len(full.dislocations) == 1
    a, b = small.dislocations[0], full.dislocations[0]
    true_length = np.hypot(0.8 * 1536, 0.05 * 1024)
    assert b.length == pytest.approx(true_length, rel=0.01)
    # Downscaled 4x, the skeleton's pixel staircase is magnified too: lengths come
    # out a few per cent long (documented in the size policy).
    assert a.length == pytest.approx(true_length, rel=0.06)
    # Ends agree to within 2.5 pixels of the downscaled frame (skeleton end caps).
    assert np.abs(a.points[[0, -1]] - b.points[[0, -1]]).max() < 2.5 / small.factor


def test_prepare_image_clips_outliers():
    image = np.full((50, 50), 100.0)
    image[10:20] = 200.0
    image[0, 0] = 1e9  # a hot pixel
    out = prepare_image(image)
    assert out.min() == 0.0 and out.max() == 1.0
    assert out[15, 15] == 1.0 and out[30, 30] == 0.0


def test_options_validation():
    with pytest.raises(ValueError, match="max_side"):
        AnalysisOptions(max_side=10)
    with pytest.raises(ValueError, match="scale"):
        AnalysisOptions(scale=0.0)
