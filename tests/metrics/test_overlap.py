import numpy as np
import pytest

from temdefects.metrics import CRITERIA, dice_matrix, get_criterion, iou_matrix, union_scores
from temdefects.metrics import overlap as overlap_module

from .helpers import DTYPES, empty, hline, stack


def _random_masks(rng, k, shape=(16, 20)):
    m = rng.random((k, *shape)) < rng.uniform(0.05, 0.5, (k, 1, 1))
    m[0] = False  # one empty mask in every stack
    return m


def _brute(a, b, kind):
    out = np.zeros((len(a), len(b)))
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            inter, sx, sy = (x & y).sum(), x.sum(), y.sum()
            if sx + sy:
                out[i, j] = 2 * inter / (sx + sy) if kind == "dice" else inter / (sx + sy - inter)
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["dice", "iou"])
def test_matches_brute_force_loop(kind, dtype):
    rng = np.random.default_rng(3)
    a, b = _random_masks(rng, 6), _random_masks(rng, 4)
    got = CRITERIA[kind](a.astype(dtype), b.astype(dtype))
    assert got.shape == (6, 4)
    np.testing.assert_allclose(got, _brute(a, b, kind), rtol=0, atol=1e-12)


def test_chunked_accumulation_is_exact(monkeypatch):
    rng = np.random.default_rng(4)
    a, b = _random_masks(rng, 5), _random_masks(rng, 3)
    monkeypatch.setattr(overlap_module, "_CHUNK", 7)
    np.testing.assert_allclose(dice_matrix(a, b), _brute(a, b, "dice"), atol=1e-12)


def test_empty_versus_empty_is_zero_and_shapes_with_no_masks():
    e = stack(empty())
    assert dice_matrix(e, e)[0, 0] == 0.0
    assert iou_matrix(e, e)[0, 0] == 0.0
    assert dice_matrix(stack(), stack(hline(1, 9))).shape == (0, 1)
    assert iou_matrix(stack(hline(1, 9)), stack()).shape == (1, 0)


def test_known_values():
    a = stack(hline(0, 9))  # 10 px
    b = stack(hline(5, 14))  # 10 px, 5 shared
    assert dice_matrix(a, b)[0, 0] == pytest.approx(0.5)
    assert iou_matrix(a, b)[0, 0] == pytest.approx(5 / 15)


def test_registry_lookup_and_unknown_name():
    assert get_criterion("dice") is dice_matrix
    assert get_criterion("iou") is iou_matrix
    with pytest.raises(ValueError, match="unknown matching criterion 'jaccard'.*'dice', 'iou'"):
        get_criterion("jaccard")


@pytest.mark.parametrize("dtype", DTYPES)
def test_union_scores(dtype):
    pred = stack(hline(0, 9), hline(5, 14)).astype(dtype)  # union: 15 px
    true = stack(hline(0, 4), empty()).astype(dtype)  # union: 5 px inside
    s = union_scores(pred, true)
    assert s["dice"] == pytest.approx(2 * 5 / 20)
    assert s["iou"] == pytest.approx(5 / 15)
    assert isinstance(s["dice"], float)


def test_union_scores_empty_cases():
    assert union_scores(stack(empty()), stack()) == {"dice": 1.0, "iou": 1.0}
    assert union_scores(stack(hline(1, 5)), stack(empty())) == {"dice": 0.0, "iou": 0.0}


def test_validation():
    a = stack(hline(1, 5))
    with pytest.raises(ValueError, match=r"same image size \(H, W\)"):
        dice_matrix(a, np.zeros((1, 64, 64), bool))
    with pytest.raises(ValueError, match=r"b must be a 3-D array of shape \(L, H, W\)"):
        iou_matrix(a, a[0])
    with pytest.raises(ValueError, match="binary"):
        dice_matrix(a * 0.7, a)
    with pytest.raises(ValueError, match="binary"):
        union_scores(a.astype(np.int8) * -1, a)
