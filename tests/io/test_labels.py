"""Stroke label images -> one mask per stroke."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from temdefects.io.labels import strokes_to_masks


def stroke_image():
    """White 80x100 canvas with 3 black strokes and a 4-pixel speck."""
    img = np.full((80, 100), 255, np.uint8)
    cv2.line(img, (5, 10), (90, 15), 0, 3)
    cv2.polylines(img, [np.array([[10, 40], [40, 30], [70, 60]], np.int32)], False, 0, 4)
    cv2.line(img, (20, 75), (95, 70), 60, 2)  # dark grey still counts (< 128)
    img[50:52, 90:92] = 0  # speck
    return img


def test_three_strokes_give_three_masks():
    img = stroke_image()
    masks = strokes_to_masks(img, min_size=10)
    assert masks.shape == (3, 80, 100) and masks.dtype == bool
    assert masks[0][12, 40] and masks[1][35, 25] and masks[2][72, 60]
    assert not masks.any(axis=0)[50, 90]  # the speck is dropped
    assert masks.sum(axis=0).max() == 1  # masks do not overlap
    assert strokes_to_masks(img, min_size=1).shape[0] == 4


def test_light_strokes_on_black_and_colour_input():
    img = 255 - stroke_image()
    assert strokes_to_masks(img, dark=False).shape[0] == 3
    rgba = np.dstack([stroke_image()] * 3 + [np.full((80, 100), 255, np.uint8)])
    np.testing.assert_array_equal(strokes_to_masks(rgba), strokes_to_masks(stroke_image()))
    as_bool = stroke_image() < 128
    assert strokes_to_masks(as_bool, dark=False).shape[0] == 3


def test_fixed_width_redraw_makes_strokes_thinner():
    img = stroke_image()
    drawn = strokes_to_masks(img)
    thin = strokes_to_masks(img, width=1)
    assert thin.shape == drawn.shape
    for d, t in zip(drawn, thin, strict=True):
        assert 0 < t.sum() < d.sum()
        assert (t & d).sum() >= 0.9 * t.sum()  # the skeleton lies inside the stroke


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"min_size": 0}, ValueError), ({"width": 0}, ValueError)],
)
def test_invalid_options(kwargs, error):
    with pytest.raises(error):
        strokes_to_masks(stroke_image(), **kwargs)


def test_invalid_images():
    with pytest.raises(TypeError, match="uint8"):
        strokes_to_masks(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="shape"):
        strokes_to_masks(np.zeros((4, 4, 2), np.uint8))


def test_real_twip_label_image(realdata):
    folder = realdata / "dislocations" / "twip-8um" / "ds"
    files = sorted(folder.glob("*.PNG")) if folder.is_dir() else []
    if not files:
        pytest.skip(f"no label images in {folder}")
    image = cv2.cvtColor(cv2.imread(str(files[0]), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    masks = strokes_to_masks(image)
    assert masks.shape[1:] == image.shape[:2]
    assert masks.shape[0] > 5
