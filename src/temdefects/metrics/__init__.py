"""Metrics and matching for instance masks of dislocations (numpy only, no torch).

Main entry points:

- :func:`length_score`: the skeleton-length metric of Govind et al. 2023,
  with the greedy pairing of their Algorithm 1 (:func:`greedy_match`).
- :func:`match_instances`: optimal one-to-one matching on Dice or IoU
  (:data:`CRITERIA`), giving TP/FP/FN, precision, recall, F1 and duplicates.
- :func:`dice_matrix`, :func:`iou_matrix`, :func:`union_scores`: overlaps.
- :func:`cl_dice`, :func:`curve_distance`, :func:`mask_curve_distance`:
  centre-line metrics.
- :func:`evaluate_image` and :func:`aggregate`: all of the above per image and
  over a data set.
"""

from temdefects.metrics.centerline import cl_dice, curve_distance, mask_curve_distance
from temdefects.metrics.coverage import CoverageMatch, match_by_coverage
from temdefects.metrics.length import (
    binarize_predictions,
    greedy_match,
    length_score,
    pair_length_score,
)
from temdefects.metrics.matching import InstanceMatch, match_instances
from temdefects.metrics.overlap import (
    CRITERIA,
    dice_matrix,
    get_criterion,
    iou_matrix,
    union_scores,
)
from temdefects.metrics.skeleton import (
    bounding_box,
    mask_skeleton_length,
    skeleton_length,
    skeletonize_mask,
)
from temdefects.metrics.summary import aggregate, evaluate_image

__all__ = [
    "CRITERIA",
    "CoverageMatch",
    "InstanceMatch",
    "aggregate",
    "binarize_predictions",
    "bounding_box",
    "cl_dice",
    "curve_distance",
    "dice_matrix",
    "evaluate_image",
    "get_criterion",
    "greedy_match",
    "iou_matrix",
    "length_score",
    "mask_curve_distance",
    "mask_skeleton_length",
    "match_by_coverage",
    "match_instances",
    "pair_length_score",
    "skeleton_length",
    "skeletonize_mask",
    "union_scores",
]
