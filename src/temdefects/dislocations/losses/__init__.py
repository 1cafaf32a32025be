"""Matched Dice loss for one-instance-per-channel segmentation.

The network predicts ``N`` masks per image, each meant to hold at most one
dislocation; the ground truth holds ``M`` binary masks, one per dislocation,
padded with all-zero masks to a common ``M`` within a batch. Because neither
set is ordered, every ground-truth mask is first matched to one predicted
channel and the Dice loss is averaged over the matched pairs (Govind et al.
2023, section 4, Algorithm 1).

Conventions shared by every function here:

* Padding masks (all zero) are dropped before matching. ``K`` below is the
  number of non-empty target masks of an image.
* ``matching="greedy"`` is Algorithm 1: targets in their given order each take
  the remaining prediction with the lowest Dice loss, ties going to the lowest
  prediction index. ``"hungarian"`` minimises the summed Dice loss over all
  one-to-one assignments (``scipy.optimize.linear_sum_assignment``).
* If ``K > N`` only ``N`` targets can be matched (greedy: the first ``N`` in
  order). Each unmatched target adds a loss of exactly 1 (the Dice loss of an
  empty prediction) and the Dice part is still averaged over all ``K``.
* An image with ``K == 0`` has a Dice part of 0; it still counts in the mean
  over the batch, so only the optional terms below can push it.
* Matching runs on the detached Dice-loss matrix. The loss gathers the matched
  entries of the differentiable matrix, so with the default options unmatched
  channels receive exactly zero gradient, as in the paper.

Beyond the paper (off by default): ``empty_weight`` adds the mean soft area of
the unmatched channels, which pushes duplicate predictions of one dislocation
to empty masks; ``objectness`` adds a BCE term that trains a per-channel
"a dislocation is here" logit against the matching.

:func:`union_loss` (``loss.kind: union``) is the binary alternative for
adaptation to partial hand labels: Dice + BCE of the union of the masks.
"""

from temdefects.dislocations.losses._checks import MATCHING_METHODS, REDUCTIONS
from temdefects.dislocations.losses._functional import (
    dice_loss_matrix,
    matched_assignment,
    matched_dice_loss,
)
from temdefects.dislocations.losses.matched_dice import MatchedDiceLoss
from temdefects.dislocations.losses.matching import match
from temdefects.dislocations.losses.union import union_loss

__all__ = [
    "MATCHING_METHODS",
    "REDUCTIONS",
    "MatchedDiceLoss",
    "dice_loss_matrix",
    "match",
    "matched_assignment",
    "matched_dice_loss",
    "union_loss",
]
