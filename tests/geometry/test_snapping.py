import numpy as np
import pytest

from temdefects.geometry.snapping import shift_mask, snap_masks


def line_image(rows, *, dark=True, size=(48, 64), noise=0.02, seed=0):
    rng = np.random.default_rng(seed)
    image = 0.6 + noise * rng.standard_normal(size)
    for r in rows:
        image[r, 6:58] = 0.2 if dark else 1.0
    return image


def band(row, size=(48, 64), width=1):
    mask = np.zeros(size, bool)
    mask[row - width // 2 : row + width // 2 + 1, 6:58] = True
    return mask


@pytest.mark.parametrize("dark", [True, False])
def test_offset_labels_move_onto_their_lines(dark):
    image = line_image([12, 30], dark=dark)
    masks = np.stack([band(14, width=3), band(29, width=3)])
    result = snap_masks(image, masks, max_shift=3, dark=dark)
    assert result.shifts.tolist() == [[-2, 0], [1, 0]]
    assert (result.masks[0] == band(12, width=3)).all()
    assert (result.masks[1] == band(30, width=3)).all()
    assert (result.gains > 0.1).all()


def test_labels_stay_where_nothing_better_is_near():
    image = line_image([10])
    masks = np.stack([band(10), band(36)])  # on its line; over plain background
    result = snap_masks(image, masks, max_shift=3)
    assert result.shifts.tolist() == [[0, 0], [0, 0]]
    assert (result.masks == masks).all()


def test_a_line_beyond_max_shift_is_not_reached():
    image = line_image([20])
    result = snap_masks(image, band(25)[None], max_shift=3)
    assert abs(result.shifts[0]).max() <= 3 and result.masks[0, 20].sum() == 0
    assert snap_masks(image, band(25)[None], max_shift=5).shifts.tolist() == [[-5, 0]]


def test_zero_shift_and_no_masks_are_identity():
    image = line_image([20])
    masks = band(22)[None]
    assert (snap_masks(image, masks, max_shift=0).masks == masks).all()
    empty = np.zeros((0, 48, 64), bool)
    assert snap_masks(image, empty).masks.shape == (0, 48, 64)


def test_shift_mask_drops_what_leaves_the_frame():
    mask = np.zeros((5, 5), bool)
    mask[0, :] = True
    assert shift_mask(mask, -1, 0).sum() == 0
    moved = shift_mask(mask, 2, 1)
    assert moved[2, 1:].all() and moved.sum() == 4


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_shift": -1}, "max_shift"),
        ({"max_shift": 1.5}, "max_shift"),
        ({"min_gain": float("nan")}, "min_gain"),
    ],
)
def test_nonsense_options_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        snap_masks(line_image([20]), band(20)[None], **kwargs)


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="differs"):
        snap_masks(np.zeros((10, 10)), np.zeros((1, 12, 12), bool))
    with pytest.raises(ValueError, match="N, H, W"):
        snap_masks(np.zeros((10, 10)), np.zeros((10, 10), bool))
