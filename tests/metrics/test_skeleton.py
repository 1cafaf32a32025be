import math

import numpy as np
import pytest
from skimage.morphology import skeletonize

from temdefects.metrics import (
    bounding_box,
    mask_skeleton_length,
    skeleton_length,
    skeletonize_mask,
)

from .helpers import DTYPES, hline, line, polyline

SQRT2 = math.sqrt(2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [2, 7, 40])
def test_horizontal_and_vertical_runs(n, dtype):
    s = np.zeros((50, 50), dtype)
    s[10, 3 : 3 + n] = 1
    assert skeleton_length(s) == pytest.approx(n - 1)
    assert skeleton_length(s.T) == pytest.approx(n - 1)


@pytest.mark.parametrize("n", [2, 5, 30])
def test_diagonal_and_antidiagonal_runs(n):
    s = np.zeros((40, 40), bool)
    idx = np.arange(n)
    s[idx + 2, idx + 3] = True
    assert skeleton_length(s) == pytest.approx((n - 1) * SQRT2)
    assert skeleton_length(s[:, ::-1]) == pytest.approx((n - 1) * SQRT2)


def test_l_shape_counts_the_corner_once():
    s = np.zeros((20, 20), bool)
    s[5, 5:15] = True  # 10 pixels -> 9
    s[5:15, 14] = True  # 10 pixels sharing the corner -> 9
    assert skeleton_length(s) == pytest.approx(18)


def test_mixed_staircase():
    s = np.zeros((6, 6), bool)
    for r, c in [(0, 0), (1, 1), (1, 2), (2, 3)]:
        s[r, c] = True
    assert skeleton_length(s) == pytest.approx(2 * SQRT2 + 1)


@pytest.mark.parametrize("s", [np.zeros((5, 5), bool), np.eye(1, dtype=bool)])
def test_empty_and_single_pixel_have_length_zero(s):
    assert skeleton_length(s) == 0.0


@pytest.mark.parametrize(
    "mask",
    [
        hline(10, 100, thickness=5),
        line((0, 0), (127, 63), thickness=7),  # touches two image corners
        polyline([(5, 60), (40, 10), (80, 50), (127, 5)], thickness=4),
        hline(0, 127, y=0, thickness=3),  # along the image border
    ],
)
def test_bounding_box_skeleton_equals_full_image_skeleton(mask):
    np.testing.assert_array_equal(skeletonize_mask(mask), skeletonize(mask, method="lee"))


def test_skeleton_of_empty_mask_is_empty():
    assert not skeletonize_mask(np.zeros((8, 8), np.uint8)).any()
    assert mask_skeleton_length(np.zeros((8, 8), bool)) == 0.0


def test_thick_line_skeleton_length_close_to_drawn_length():
    # cv2 draws round caps, so the skeleton runs a little past the end points.
    length = mask_skeleton_length(hline(20, 100, thickness=5))
    assert 80 <= length <= 84


def test_bounding_box_padding_is_clipped():
    m = np.zeros((10, 12), bool)
    m[0, 3:5] = True
    assert bounding_box(m) == (slice(0, 1), slice(3, 5))
    assert bounding_box(m, pad=2) == (slice(0, 3), slice(1, 7))
    assert bounding_box(np.zeros((4, 4), bool)) is None


def test_validation():
    with pytest.raises(ValueError, match=r"2-D array of shape \(H, W\)"):
        skeleton_length(np.zeros((2, 5, 5), bool))
    with pytest.raises(ValueError, match="binary"):
        skeleton_length(np.full((5, 5), 0.5))
    with pytest.raises(ValueError, match="dtype"):
        skeletonize_mask(np.zeros((5, 5), complex))
