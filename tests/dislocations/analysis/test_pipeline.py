import numpy as np
import pytest
import torch

from temdefects.dislocations.analysis.pipeline import (
    AnalysisOptions,
    analyze_image,
    flatten_background,
    model_input,
)
from temdefects.io.images import prepare_image


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


def test_flattening_removes_uneven_illumination_and_keeps_thin_lines():
    yy, xx = np.mgrid[:128, :128].astype(np.float32)
    light = 0.2 + 0.7 * np.exp(-((xx - 64) ** 2 + (yy - 64) ** 2) / (2 * 45.0**2))  # vignetting
    image = light.copy()
    image[:, 20] *= 0.8  # a faint line in the dark corner column ...
    image[:, 64] *= 0.8  # ... and the same line in the bright centre
    unit, flat = model_input(image, 15.0)
    np.testing.assert_array_equal(unit, prepare_image(image))

    def prominence(a):  # each line's depth over the spread of the background
        spread = np.subtract(*np.percentile(np.delete(a, [19, 20, 21, 63, 64, 65], 1), [95, 5]))
        return np.array([np.median(a[:, c - 4]) - np.median(a[:, c]) for c in (20, 64)]) / spread

    # measured: 0.16 and 0.30 as they are, 0.78 and 1.13 flattened
    assert np.all(prominence(flat) > 3 * prominence(unit))
    np.testing.assert_array_equal(flatten_background(unit, 0.0), unit)


def test_analysis_feeds_the_flattened_frame_and_reports_on_the_frame():
    seen = []

    class Spy(Oracle):
        def forward(self, x):
            seen.append(x.detach().numpy()[0, 0].copy())
            return super().forward(x)

    rng = np.random.default_rng(1)
    image = (rng.random((64, 96)) + np.linspace(0, 5, 96)[None, :]).astype(np.float32)
    spy = Spy((0.1, 0.5, 0.9, 0.5))
    flat = analyze_image(spy, image, options=AnalysisOptions(flatten=10.0))
    raw = analyze_image(spy, image, options=AnalysisOptions(flatten=0.0))
    np.testing.assert_array_equal(flat.image, raw.image)  # overlays show the frame itself
    assert np.abs(seen[0] - seen[1]).max() > 0.2  # the network saw different inputs
    np.testing.assert_allclose(seen[1][:64, :96], prepare_image(image), atol=1e-6)


def test_options_validation():
    with pytest.raises(ValueError, match="flatten"):
        AnalysisOptions(flatten=-1.0)
    with pytest.raises(ValueError, match="max_side"):
        AnalysisOptions(max_side=10)
    with pytest.raises(ValueError, match="scale"):
        AnalysisOptions(scale=0.0)


def _two_brightness_frame():
    """The same faint noisy lines in a bright left half and a 3x darker right half."""
    rng = np.random.default_rng(3)
    image = 1.0 + 0.02 * rng.standard_normal((96, 192))
    for c in range(8, 192, 16):
        image[:, c] *= 0.85
    image[:, 96:] *= 0.35
    return image.astype(np.float32)


def _line_depths(flat):
    """Median depth of the lines below their neighbours, per half."""
    depth = [
        np.median(flat[:, c - 3] - flat[:, c]) for c in range(24, 192, 16) if c not in (88, 104)
    ]
    return np.mean(depth[:5]), np.mean(depth[-5:])


def test_local_contrast_evens_out_dark_and_bright_areas():
    unit = prepare_image(_two_brightness_frame())
    bright, dark = _line_depths(flatten_background(unit, 20.0))
    plain = dark / bright  # measured 0.39: the dark half stays about 3x fainter
    assert plain < 0.5
    bright, dark = _line_depths(flatten_background(unit, 20.0, "local"))
    assert dark / bright > 1.6 * plain  # measured 0.70 (the RMS floor keeps it below 1)
    np.testing.assert_array_equal(flatten_background(unit, 0.0, "local"), unit)


def test_contrast_option_is_checked_and_reaches_the_network():
    with pytest.raises(ValueError, match="contrast: must be one of global, local"):
        AnalysisOptions(contrast="loud")
    with pytest.raises(ValueError, match="contrast"):
        flatten_background(np.zeros((8, 8), np.float32), 5.0, "loud")
    seen = []

    class Spy(Oracle):
        def forward(self, x):
            seen.append(x.detach().numpy()[0, 0].copy())
            return super().forward(x)

    image = _two_brightness_frame()
    spy = Spy((0.1, 0.5, 0.9, 0.5))
    analyze_image(spy, image, options=AnalysisOptions(flatten=20.0, contrast="local"))
    expected = model_input(image, 20.0, "local")[1]
    np.testing.assert_allclose(seen[0][:96, :192], expected, atol=1e-6)
