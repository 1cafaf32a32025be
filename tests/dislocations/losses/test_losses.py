"""Tests of the matched Dice loss (Govind et al. 2023, Algorithm 1) and its options."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from temdefects.dislocations.losses import (
    MatchedDiceLoss,
    dice_loss_matrix,
    match,
    matched_assignment,
    matched_dice_loss,
)

HW = 16
METHODS = ["greedy", "hungarian"]


def _masks(*regions: tuple[slice, slice], hw: int = HW) -> torch.Tensor:
    """(1, len(regions), hw, hw) float masks, one filled rectangle each (None: empty)."""
    out = torch.zeros(1, len(regions), hw, hw)
    for k, region in enumerate(regions):
        if region is not None:
            out[0, k][region] = 1.0
    return out


def _row(r: int, c0: int = 0, c1: int = 8) -> tuple[slice, slice]:
    return (slice(r, r + 1), slice(c0, c1))


def _random_case(
    gen: torch.Generator, b: int, n: int, m: int, *, hw: int = HW, p_pad: float = 0.3
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random boxes as targets (some zero padding) and noisy box-like predictions."""
    target = torch.zeros(b, m, hw, hw)
    for i, j in itertools.product(range(b), range(m)):
        if torch.rand((), generator=gen) < p_pad:
            continue
        r0, c0 = torch.randint(0, hw - 2, (2,), generator=gen).tolist()
        h, w = torch.randint(1, 6, (2,), generator=gen).tolist()
        target[i, j, r0 : r0 + h, c0 : c0 + w] = 1.0
    boxes = torch.zeros(b, n, hw, hw)
    for i, j in itertools.product(range(b), range(n)):
        r0, c0 = torch.randint(0, hw - 2, (2,), generator=gen).tolist()
        boxes[i, j, r0 : r0 + 5, c0 : c0 + 5] = 1.0
    pred = 0.7 * boxes + 0.3 * torch.rand(b, n, hw, hw, generator=gen)
    return pred, target


# The 2-target / 2-prediction case where greedy depends on the target order.
# T0, T1: rows 0 and 2, cols 0-7 (8 px each). P0 covers both (16 px), P1 covers
# row 0, cols 0-2 (3 px). With smooth = 1, L = 1 - (2 * inter + 1) / (|T| + |P| + 1):
#   L(T0, P0) = 1 - 17/25 = 8/25    L(T0, P1) = 1 - 7/12 = 5/12
#   L(T1, P0) = 1 - 17/25 = 8/25    L(T1, P1) = 1 - 1/12 = 11/12
# greedy (T0, T1): T0 -> P0, T1 -> P1: (8/25 + 11/12) / 2 = 371/600
# greedy (T1, T0): T1 -> P0, T0 -> P1: (8/25 + 5/12) / 2 = 221/600 = hungarian optimum
T_ORDER = _masks(_row(0), _row(2))
P_ORDER = torch.cat([_masks(_row(0)) + _masks(_row(2)), _masks(_row(0, 0, 3))], dim=1)


def _algorithm1(cost: np.ndarray) -> list[tuple[int, int]]:
    """Algorithm 1 of the paper, literally (strict '<', remove the matched prediction)."""
    pool = list(range(cost.shape[1]))
    pairs = []
    for i in range(cost.shape[0]):
        if not pool:
            break
        dl_min, cmi = math.inf, None
        for j in pool:
            if cost[i, j] < dl_min:
                dl_min, cmi = cost[i, j], j
        pairs.append((i, cmi))
        pool.remove(cmi)
    return pairs


# --------------------------------------------------------------------------- values


def test_dice_loss_matrix_known_values():
    target = _masks((slice(0, 4), slice(0, 4)), None)  # 16 px square + padding
    half = 0.5 * _masks((slice(0, 4), slice(0, 8)))  # 0.5 on the square and beside it
    pred = torch.cat([half, torch.zeros(1, 1, HW, HW), target[:, :1]], dim=1)
    expected = torch.tensor(
        [
            [1 - 17 / 33, 1 - 1 / 17, 0.0],  # inter 8, sum(p) 16: 1 - (16+1)/(16+16+1)
            [1 - 1 / 17, 0.0, 1 - 1 / 17],  # an empty target against each channel
        ]
    )
    got = dice_loss_matrix(pred, target)
    assert got.shape == (1, 2, 3)
    torch.testing.assert_close(got[0], expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("matching", METHODS)
def test_perfect_prediction_gives_zero(matching):
    target = _masks(_row(1), _row(5, 2, 12), (slice(9, 14), slice(3, 5)))
    pred = torch.cat([torch.zeros(1, 2, HW, HW), target[:, [2, 0, 1]]], dim=1)
    loss = matched_dice_loss(pred, target, matching=matching)
    assert loss.dtype == torch.float32
    assert abs(loss.item()) < 1e-6


def test_greedy_depends_on_target_order_hungarian_does_not():
    reversed_target = T_ORDER[:, [1, 0]]
    greedy = matched_dice_loss(P_ORDER, T_ORDER, matching="greedy").item()
    greedy_rev = matched_dice_loss(P_ORDER, reversed_target, matching="greedy").item()
    hungarian = matched_dice_loss(P_ORDER, T_ORDER, matching="hungarian").item()
    hungarian_rev = matched_dice_loss(P_ORDER, reversed_target, matching="hungarian").item()
    assert greedy == pytest.approx(371 / 600, abs=1e-6)
    assert greedy_rev == pytest.approx(221 / 600, abs=1e-6)
    assert hungarian == pytest.approx(221 / 600, abs=1e-6)
    assert hungarian_rev == pytest.approx(221 / 600, abs=1e-6)
    assert matched_assignment(P_ORDER, T_ORDER) == [[(0, 0), (1, 1)]]
    assert matched_assignment(P_ORDER, T_ORDER, matching="hungarian") == [[(0, 1), (1, 0)]]


def test_more_targets_than_channels_adds_one_per_unmatched_target():
    target = _masks(_row(0), _row(4), _row(8))
    pred = torch.cat([target[:, [2]], target[:, [0]]], dim=1)  # N = 2 < M = 3
    # greedy: T0 -> P1 (0), T1 -> P0 (no overlap: 1 - 1/17), T2 unmatched (1)
    greedy = matched_dice_loss(pred, target, matching="greedy").item()
    assert greedy == pytest.approx((16 / 17 + 1) / 3, abs=1e-6)
    # hungarian keeps the two perfect pairs and leaves T1 unmatched
    hungarian = matched_dice_loss(pred, target, matching="hungarian").item()
    assert hungarian == pytest.approx(1 / 3, abs=1e-6)
    assert matched_assignment(pred, target, matching="hungarian") == [[(0, 1), (2, 0)]]


# --------------------------------------------------------------------------- invariances


@pytest.mark.parametrize("matching", METHODS)
def test_invariant_to_permuting_predictions(matching):
    gen = torch.Generator().manual_seed(1)
    pred, target = _random_case(gen, 3, 6, 4)
    perm = torch.randperm(6, generator=gen)
    a = matched_dice_loss(pred, target, matching=matching, reduction="none")
    b = matched_dice_loss(pred[:, perm], target, matching=matching, reduction="none")
    torch.testing.assert_close(a, b)


def test_hungarian_invariant_to_permuting_targets():
    gen = torch.Generator().manual_seed(2)
    pred, target = _random_case(gen, 3, 6, 5)
    perm = torch.randperm(5, generator=gen)
    a = matched_dice_loss(pred, target, matching="hungarian", reduction="none")
    b = matched_dice_loss(pred, target[:, perm], matching="hungarian", reduction="none")
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("matching", METHODS)
def test_padding_targets_are_ignored(matching):
    gen = torch.Generator().manual_seed(3)
    pred, target = _random_case(gen, 2, 5, 3, p_pad=0.0)
    zero = torch.zeros(2, 1, HW, HW)
    padded = torch.cat([zero, target[:, :2], zero, target[:, 2:], zero], dim=1)
    kwargs = {"matching": matching, "empty_weight": 0.5, "reduction": "none"}
    torch.testing.assert_close(
        matched_dice_loss(pred, padded, **kwargs), matched_dice_loss(pred, target, **kwargs)
    )
    # indices refer to the padded tensor, padding never appears
    new_index = {0: 1, 1: 2, 2: 4}
    expected = [[(new_index[t], p) for t, p in image] for image in matched_assignment(pred, target)]
    assert matched_assignment(pred, padded) == expected


def test_image_without_dislocations():
    pred, target = _random_case(torch.Generator().manual_seed(4), 2, 4, 3, p_pad=0.0)
    target[1] = 0.0
    per_image = matched_dice_loss(pred, target, reduction="none")
    assert per_image[1].item() == 0.0
    assert per_image[0].item() > 0.1
    # the empty image still counts in the mean over images
    assert matched_dice_loss(pred, target).item() == pytest.approx(per_image[0].item() / 2)
    # with empty_weight every channel of the empty image is unmatched
    with_area = matched_dice_loss(pred, target, empty_weight=2.0, reduction="none")
    assert with_area[1].item() == pytest.approx(2.0 * pred[1].mean().item(), rel=1e-5)


def test_all_targets_empty_backward_gives_zero_gradient():
    logits = torch.randn(2, 3, HW, HW, generator=torch.Generator().manual_seed(5))
    logits.requires_grad_(True)
    loss = matched_dice_loss(torch.sigmoid(logits), torch.zeros(2, 4, HW, HW))
    loss.backward()
    assert loss.item() == 0.0
    assert torch.count_nonzero(logits.grad) == 0


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("matching", METHODS)
def test_gradient_reaches_only_matched_channels(matching):
    pred_values, target = _random_case(torch.Generator().manual_seed(6), 2, 5, 3, p_pad=0.0)
    logits = torch.logit(pred_values.clamp(0.01, 0.99)).requires_grad_(True)
    matched_dice_loss(torch.sigmoid(logits), target, matching=matching).backward()
    matched = torch.zeros(2, 5, dtype=torch.bool)
    for i, pairs in enumerate(matched_assignment(torch.sigmoid(logits), target, matching=matching)):
        for _, p in pairs:
            matched[i, p] = True
    assert matched.sum() == 6
    assert torch.count_nonzero(logits.grad[~matched]) == 0
    assert all(torch.count_nonzero(g) > 0 for g in logits.grad[matched])

    logits.grad = None
    matched_dice_loss(torch.sigmoid(logits), target, matching=matching, empty_weight=1.0).backward()
    assert all(torch.count_nonzero(g) > 0 for g in logits.grad[~matched])


def test_objectness_targets_are_one_exactly_on_matched_channels():
    pred, target = _random_case(torch.Generator().manual_seed(7), 2, 5, 3)
    objectness = torch.zeros(2, 5, requires_grad=True)
    weight = 3.0
    loss = matched_dice_loss(pred, target, objectness=objectness, objectness_weight=weight)
    loss.backward()
    y = torch.zeros(2, 5)
    for i, pairs in enumerate(matched_assignment(pred, target)):
        for _, p in pairs:
            y[i, p] = 1.0
    assert 0 < y.sum() < y.numel()
    # d/dx BCE(x, y) = sigmoid(x) - y; averaged over B * N entries
    torch.testing.assert_close(objectness.grad, weight * (0.5 - y) / y.numel())
    base = matched_dice_loss(pred, target)
    torch.testing.assert_close(loss.detach(), base + weight * math.log(2.0))


def test_objectness_is_stable_for_large_logits():
    pred, target = _random_case(torch.Generator().manual_seed(8), 1, 4, 2, p_pad=0.0)
    objectness = torch.tensor([[200.0, -200.0, 200.0, -200.0]])
    loss = matched_dice_loss(pred, target, objectness=objectness, objectness_weight=1.0)
    assert torch.isfinite(loss)
    y = torch.zeros(1, 4)
    for _, p in matched_assignment(pred, target)[0]:
        y[0, p] = 1.0
    expected = matched_dice_loss(pred, target) + F.binary_cross_entropy_with_logits(objectness, y)
    torch.testing.assert_close(loss, expected)


def test_gradcheck_float64():
    target = _masks(_row(1, 0, 6), _row(4, 2, 7), hw=8).double()
    base = torch.full((1, 3, 8, 8), -2.0, dtype=torch.float64)
    base[0, 0, 4, 2:7] = 2.0
    base[0, 2, 1, 0:6] = 2.0
    logits = (
        base
        + 0.1
        * torch.randn(base.shape, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    ).requires_grad_(True)
    objectness = torch.zeros(1, 3, dtype=torch.float64, requires_grad=True)

    def f(x, o):
        return matched_dice_loss(
            torch.sigmoid(x), target, empty_weight=0.7, objectness=o, objectness_weight=0.3
        )

    assert torch.autograd.gradcheck(f, (logits, objectness))


def test_loss_decreases_when_optimising_free_logits():
    gen = torch.Generator().manual_seed(10)
    target = _masks(_row(3, 1, 14), (slice(6, 14), slice(9, 11)))
    logits = torch.nn.Parameter(0.1 * torch.randn(1, 4, HW, HW, generator=gen))
    optimiser = torch.optim.Adam([logits], lr=0.1)
    losses = []
    for _ in range(30):
        optimiser.zero_grad()
        loss = matched_dice_loss(torch.sigmoid(logits), target, empty_weight=0.1)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


# --------------------------------------------------------------------------- batches, dtypes


@pytest.mark.parametrize("matching", METHODS)
def test_batch_equals_per_image_loop(matching):
    gen = torch.Generator().manual_seed(11)
    pred, target = _random_case(gen, 4, 5, 6)
    target[2] = 0.0
    objectness = torch.randn(4, 5, generator=gen)
    kwargs = {"matching": matching, "empty_weight": 0.4, "objectness_weight": 0.2}
    batch = matched_dice_loss(pred, target, objectness=objectness, reduction="none", **kwargs)
    loop = torch.cat(
        [
            matched_dice_loss(
                pred[i : i + 1],
                target[i : i + 1],
                objectness=objectness[i : i + 1],
                reduction="none",
                **kwargs,
            )
            for i in range(4)
        ]
    )
    assert batch.shape == (4,)
    torch.testing.assert_close(batch, loop)
    torch.testing.assert_close(
        matched_dice_loss(pred, target, objectness=objectness, **kwargs), loop.mean()
    )


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_pred_is_summed_in_float32(dtype):
    gen = torch.Generator().manual_seed(12)
    pred, target = _random_case(gen, 2, 4, 3, hw=64)
    low = pred.to(dtype).requires_grad_(True)
    loss = matched_dice_loss(low, target, empty_weight=0.5)
    assert loss.dtype == torch.float32
    expected = matched_dice_loss(low.detach().float(), target, empty_weight=0.5)
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)
    loss.backward()
    assert low.grad.dtype == dtype
    assert torch.isfinite(low.grad.float()).all()


def test_autocast_does_not_lower_precision():
    pred, target = _random_case(torch.Generator().manual_seed(13), 2, 4, 3)
    expected = dice_loss_matrix(pred, target)
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        got = dice_loss_matrix(pred, target)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, torch.float64])
def test_target_dtypes_are_accepted(dtype):
    pred, target = _random_case(torch.Generator().manual_seed(14), 2, 4, 3)
    torch.testing.assert_close(
        matched_dice_loss(pred, target.to(dtype)), matched_dice_loss(pred, target)
    )


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize("seed", range(5))
def test_hungarian_never_worse_than_greedy(seed):
    gen = torch.Generator().manual_seed(100 + seed)
    pred, target = _random_case(gen, 4, 4, 6, p_pad=0.2)  # often K > N
    greedy = matched_dice_loss(pred, target, matching="greedy", reduction="none")
    hungarian = matched_dice_loss(pred, target, matching="hungarian", reduction="none")
    assert torch.all(hungarian <= greedy + 1e-6)


def test_hungarian_strictly_better_somewhere_on_random_cases():
    gen = torch.Generator().manual_seed(200)
    pred, target = _random_case(gen, 16, 5, 5)
    greedy = matched_dice_loss(pred, target, matching="greedy", reduction="none")
    hungarian = matched_dice_loss(pred, target, matching="hungarian", reduction="none")
    assert torch.any(hungarian < greedy - 1e-4)


@pytest.mark.parametrize("shape", [(3, 5), (4, 4), (5, 3), (0, 4), (2, 1)])
def test_match_hungarian_is_optimal_and_greedy_is_algorithm1(shape):
    rng = np.random.default_rng(shape[0] * 10 + shape[1])
    for cost in (rng.random(shape), rng.integers(0, 3, shape).astype(float)):  # ties
        greedy = match(cost, method="greedy")
        assert greedy == _algorithm1(cost)
        hungarian = match(cost, method="hungarian")
        k = min(shape)
        assert len(hungarian) == k
        assert len({t for t, _ in hungarian}) == k and len({p for _, p in hungarian}) == k
        best = min(
            (
                sum(cost[t, p] for t, p in zip(rows, cols, strict=True))
                for rows in itertools.combinations(range(shape[0]), k)
                for cols in itertools.permutations(range(shape[1]), k)
            ),
            default=0.0,
        )
        assert sum(cost[t, p] for t, p in hungarian) == pytest.approx(best)


def test_greedy_ties_go_to_lowest_prediction_index():
    assert match(np.array([[0.5, 0.2, 0.2], [0.2, 0.2, 0.2]]), method="greedy") == [(0, 1), (1, 0)]
    pred = torch.cat([T_ORDER[:, :1], T_ORDER[:, :1], T_ORDER[:, :1]], dim=1)
    assert matched_assignment(pred, T_ORDER[:, :1]) == [[(0, 0)]]


# --------------------------------------------------------------------------- module, errors


def test_module_matches_function_and_shows_options():
    pred, target = _random_case(torch.Generator().manual_seed(15), 2, 4, 3)
    objectness = torch.linspace(-1, 1, 8).reshape(2, 4)
    module = MatchedDiceLoss(
        matching="hungarian", smooth=0.5, empty_weight=0.3, objectness_weight=0.2, reduction="none"
    )
    expected = matched_dice_loss(
        pred,
        target,
        matching="hungarian",
        smooth=0.5,
        empty_weight=0.3,
        objectness=objectness,
        objectness_weight=0.2,
        reduction="none",
    )
    torch.testing.assert_close(module(pred, target, objectness), expected)
    assert "matching='hungarian'" in repr(module) and "empty_weight=0.3" in repr(module)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"matching": "optimal"}, "matching must be one of"),
        ({"reduction": "sum"}, "reduction must be one of"),
        ({"smooth": 0.0}, "smooth must be a finite number > 0"),
        ({"smooth": float("nan")}, "smooth must be a finite number > 0"),
        ({"empty_weight": -0.1}, "empty_weight must be a finite number >= 0"),
        ({"objectness_weight": -1}, "objectness_weight must be a finite number >= 0"),
        ({"empty_weight": True}, "empty_weight must be a finite number >= 0"),
    ],
)
def test_invalid_options_raise(options, message):
    with pytest.raises(ValueError, match=message):
        MatchedDiceLoss(**options)
    with pytest.raises(ValueError, match=message):
        matched_dice_loss(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4), **options)


@pytest.mark.parametrize(
    ("pred", "target", "message"),
    [
        (torch.zeros(2, 4, 4), torch.zeros(2, 1, 4, 4), r"pred must be 4D \(B, N, H, W\)"),
        (torch.zeros(1, 2, 4, 4), torch.zeros(1, 4, 4), r"target must be 4D \(B, M, H, W\)"),
        (torch.zeros(1, 2, 4, 4), torch.zeros(2, 1, 4, 4), "must agree in B, H and W"),
        (torch.zeros(1, 2, 4, 4), torch.zeros(1, 1, 4, 5), "must agree in B, H and W"),
        (torch.zeros(1, 0, 4, 4), torch.zeros(1, 1, 4, 4), "at least one image, one channel"),
        (torch.zeros(1, 2, 4, 4, dtype=torch.long), torch.zeros(1, 1, 4, 4), "floating"),
        (torch.full((1, 2, 4, 4), 3.0), torch.zeros(1, 1, 4, 4), "apply sigmoid"),
        (torch.full((1, 2, 4, 4), -0.5), torch.zeros(1, 1, 4, 4), "apply sigmoid"),
        (torch.full((1, 2, 4, 4), math.nan), torch.zeros(1, 1, 4, 4), "probabilities"),
        (torch.zeros(1, 2, 4, 4), torch.full((1, 1, 4, 4), 2.0), "target must be binary"),
        (torch.zeros(1, 2, 4, 4), np.zeros((1, 1, 4, 4)), "must be torch tensors"),
    ],
)
def test_invalid_inputs_raise(pred, target, message):
    with pytest.raises(ValueError, match=message):
        matched_dice_loss(pred, target)
    with pytest.raises(ValueError, match=message):
        matched_assignment(pred, target)


@pytest.mark.parametrize(
    ("objectness", "weight", "message"),
    [
        (None, 1.0, "objectness_weight > 0 needs objectness"),
        (torch.zeros(1, 3), 1.0, r"objectness must have shape \(B, N\) = \(1, 2\)"),
        (torch.zeros(1, 2, dtype=torch.long), 1.0, "floating tensor of logits"),
    ],
)
def test_invalid_objectness_raises(objectness, weight, message):
    module = MatchedDiceLoss(objectness_weight=weight)
    with pytest.raises(ValueError, match=message):
        module(torch.zeros(1, 2, 4, 4), torch.zeros(1, 1, 4, 4), objectness)


@pytest.mark.parametrize(
    ("cost", "method", "message"),
    [
        (np.zeros(3), "greedy", "2D"),
        (np.array([[0.1, np.nan]]), "hungarian", "finite"),
        (np.zeros((2, 2)), "auction", "method must be one of"),
    ],
)
def test_match_rejects_bad_input(cost, method, message):
    with pytest.raises(ValueError, match=message):
        match(cost, method=method)
