"""Thin ``nn.Module`` wrapper around :func:`matched_dice_loss`."""

from __future__ import annotations

import torch
from torch import nn

from temdefects.dislocations.losses._checks import Matching, Reduction, _check_options
from temdefects.dislocations.losses._functional import matched_dice_loss


class MatchedDiceLoss(nn.Module):
    """Module form of :func:`matched_dice_loss`; holds and validates the options.

    Parameters
    ----------
    matching, smooth, empty_weight, objectness_weight, reduction
        As in :func:`matched_dice_loss`.

    Shape
    -----
    pred : (B, N, H, W) probabilities
    target : (B, M, H, W) binary, zero-padded
    objectness : (B, N) logits, optional
    returns : () or (B,)

    Raises
    ------
    ValueError
        On an unknown ``matching`` or ``reduction``, a negative weight or
        ``smooth <= 0``.
    """

    def __init__(
        self,
        *,
        matching: Matching = "greedy",
        smooth: float = 1.0,
        empty_weight: float = 0.0,
        objectness_weight: float = 0.0,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__()
        self.matching = matching
        self.smooth = smooth
        self.empty_weight = empty_weight
        self.objectness_weight = objectness_weight
        self.reduction = reduction
        _check_options(**self._options())

    def _options(self) -> dict:
        """The held options, as keywords of :func:`matched_dice_loss`."""
        return {
            "matching": self.matching,
            "smooth": self.smooth,
            "empty_weight": self.empty_weight,
            "objectness_weight": self.objectness_weight,
            "reduction": self.reduction,
        }

    def forward(
        self,
        pred: torch.Tensor,
        target: torch.Tensor,
        objectness: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return matched_dice_loss(pred, target, objectness=objectness, **self._options())

    def extra_repr(self) -> str:
        return (
            f"matching={self.matching!r}, smooth={self.smooth}, "
            f"empty_weight={self.empty_weight}, objectness_weight={self.objectness_weight}, "
            f"reduction={self.reduction!r}"
        )
