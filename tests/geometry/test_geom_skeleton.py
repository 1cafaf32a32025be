import numpy as np
import pytest
from skimage.morphology import skeletonize

from temdefects.geometry import skeletonize_mask, split_components


def test_skeleton_matches_full_frame_lee(two_lines):
    mask = two_lines.copy()
    mask[0:3, 90:100] = True  # touches the border: the padded crop must still match
    expected = skeletonize(mask, method="lee")
    got = skeletonize_mask(mask)
    assert got.dtype == bool and got.shape == mask.shape
    np.testing.assert_array_equal(got, expected)


def test_skeleton_is_thin_and_inside(hline):
    skel = skeletonize_mask(hline)
    assert skel.any()
    assert not (skel & ~hline).any()
    # one pixel per column along a horizontal line
    assert skel.sum(axis=0).max() == 1


def test_min_size_removes_small_objects(hline):
    mask = hline.copy()
    mask[2:4, 2:4] = True  # 4-pixel speck
    assert skeletonize_mask(mask)[2:4, 2:4].any()
    cleaned = skeletonize_mask(mask, min_size=5)
    assert not cleaned[2:4, 2:4].any()
    np.testing.assert_array_equal(cleaned, skeletonize_mask(hline))


def test_empty_mask_gives_empty_skeleton():
    assert not skeletonize_mask(np.zeros((8, 9), bool)).any()


def test_float_mask_is_thresholded_at_half(hline):
    prob = np.where(hline, 0.8, 0.3).astype(np.float32)
    np.testing.assert_array_equal(skeletonize_mask(prob), skeletonize_mask(hline))
    assert not skeletonize_mask(prob, threshold=0.9).any()


@pytest.mark.parametrize("dtype", [np.uint8, np.int64])
def test_integer_mask_is_nonzero(hline, dtype):
    np.testing.assert_array_equal(
        skeletonize_mask(hline.astype(dtype) * 255 if dtype == np.uint8 else hline.astype(dtype)),
        skeletonize_mask(hline),
    )


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (np.zeros((2, 8, 8), bool), ValueError, "2-D"),
        (np.zeros(8, bool), ValueError, "2-D"),
        (np.full((8, 8), np.nan), ValueError, "NaN"),
        (np.zeros((8, 8), complex), TypeError, "dtype"),
    ],
)
def test_mask_validation(bad, error, match):
    with pytest.raises(error, match=match):
        skeletonize_mask(bad)


def test_negative_min_size_is_rejected(hline):
    with pytest.raises(ValueError, match="min_size"):
        skeletonize_mask(hline, min_size=-1)


def test_split_components_largest_first(two_lines):
    parts = split_components(two_lines, min_size=10)
    assert len(parts) == 2
    sizes = [int(p.sum()) for p in parts]
    assert sizes[0] > sizes[1]
    assert parts[0][10, 50] and parts[1][40, 35]
    np.testing.assert_array_equal(parts[0] | parts[1], two_lines)
    assert not (parts[0] & parts[1]).any()


def test_split_components_min_size_and_diagonal_connectivity():
    mask = np.zeros((10, 10), bool)
    mask[1, 1] = mask[2, 2] = mask[3, 3] = True  # one 8-connected diagonal object
    mask[7, 7] = True
    assert [int(p.sum()) for p in split_components(mask, min_size=1)] == [3, 1]
    assert [int(p.sum()) for p in split_components(mask, min_size=2)] == [3]
    assert split_components(np.zeros((5, 5), bool), min_size=1) == []


def test_split_components_at_the_image_border():
    mask = np.zeros((12, 15), bool)
    mask[0, :] = True  # touches three borders
    mask[5:12, 14] = True  # touches the right and bottom borders
    parts = split_components(mask, min_size=1)
    assert [int(p.sum()) for p in parts] == [15, 7]
    np.testing.assert_array_equal(parts[0] | parts[1], mask)
