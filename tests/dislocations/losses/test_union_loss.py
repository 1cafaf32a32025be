"""Tests of the union loss (Dice + BCE of the union of the masks)."""

from __future__ import annotations

import pytest
import torch

from temdefects.dislocations.losses import union_loss


def _target(hw: int = 16) -> torch.Tensor:
    masks = torch.zeros(1, 3, hw, hw)
    masks[0, 0, 4, 2:12] = 1
    masks[0, 1, 9, 3:14] = 1  # the third mask is padding
    return masks


def test_union_loss_is_small_for_the_union_and_large_for_its_complement():
    masks = _target()
    union = masks.amax(1)
    good = torch.full((1, 4, 16, 16), -12.0)
    good[0, 2] = torch.where(union[0] > 0, 12.0, -12.0)  # any channel may hold the union
    bad = -good
    assert float(union_loss(good, masks)) < 0.01
    assert float(union_loss(bad, masks)) > 5.0


def test_union_loss_gradient_reaches_only_the_maximum_channel():
    logits = torch.zeros(1, 3, 16, 16)
    logits[0, 1] = 1.0  # channel 1 is the maximum everywhere
    logits.requires_grad_(True)
    union_loss(logits, _target()).backward()
    grad = logits.grad[0].abs().sum(dim=(1, 2))
    assert grad[1] > 0 and grad[0] == 0 and grad[2] == 0


def test_union_loss_bce_weight_and_shape_checks():
    logits = torch.zeros(2, 4, 16, 16)
    masks = torch.cat([_target(), torch.zeros(1, 3, 16, 16)])
    dice_only = float(union_loss(logits, masks, bce_weight=0.0))
    both = float(union_loss(logits, masks, bce_weight=1.0))
    assert both == pytest.approx(dice_only + 0.6931, abs=1e-3)  # BCE of p = 0.5
    with pytest.raises(ValueError, match="union_loss"):
        union_loss(logits[0], masks)
    with pytest.raises(ValueError, match="differ"):
        union_loss(logits, masks[:, :, :8])


def test_reach_leaves_pixels_far_from_labels_out():
    masks = _target(32)
    logits = torch.full((1, 2, 32, 32), -8.0)
    near = logits.clone()
    far = logits.clone()
    near[0, 0, 6, 2:12] = 8.0  # an unlabelled line 2 px from a label
    far[0, 0, 25, 2:30] = 8.0  # an unlabelled line far from every label
    base = float(union_loss(logits, masks, reach=4))
    assert float(union_loss(far, masks, reach=4)) == pytest.approx(base, abs=1e-6)
    assert float(union_loss(near, masks, reach=4)) > base + 0.1
    assert float(union_loss(far, masks)) > float(union_loss(logits, masks)) + 0.1
    # an image without labels adds nothing with a reach
    empty = torch.zeros(1, 1, 32, 32)
    assert float(union_loss(far, empty, reach=4)) == 0.0
    with pytest.raises(ValueError, match="reach"):
        union_loss(logits, masks, reach=-1)
