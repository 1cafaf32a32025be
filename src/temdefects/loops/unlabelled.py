"""Partly labelled real images: regions where an unlabelled defect may lie.

The public real boxes (Li et al. 2018) label only a0/2<111> loops. The same
images hold hundreds of black dots and solid a0<100> loops that nobody
boxed; trained as background, they teach the detector that a dark solid blob
is *not* a defect, and it then misses every dot on other images (issue 17).

:func:`dark_candidates` finds the compact dark blobs of an image without any
labels (a local-background residual, thresholded at a robust multiple of its
spread). :func:`ignore_unlabelled` makes a torchvision Faster R-CNN skip
anchors and proposals lying inside such regions when it samples its
negatives: a candidate is neither taught as a defect nor as background, so the
labelled loops still teach their class and the generated images (where every
defect is labelled) teach what background looks like.

In training targets, ignore regions are rows of ``boxes`` with label ``-1``.
"""

from __future__ import annotations

import types

import numpy as np
import torch
from scipy import ndimage as ndi
from torch import nn

from temdefects.loops.defects import Defects
from temdefects.loops.evaluate import box_iou

__all__ = [
    "IGNORE_LABEL",
    "dark_blobs",
    "dark_candidates",
    "ignore_unlabelled",
    "image_candidates",
    "inside_fraction",
    "outside_ignore",
    "pseudo_labels",
]

IGNORE_LABEL = -1
#: Gaussian standard deviations (px) of the noise smoothing and of the local background.
SMOOTH, BACKGROUND = 1.0, 20.0
#: A blob has at least MIN_AREA px and fills at least MIN_FILL of its bounding box.
MIN_AREA, MIN_FILL = 8, 0.3
#: A blob is solid when its holes add less than 1 - SOLID to its area.
SOLID = 0.9
#: Pseudo-labels: a blob sharing OVERLAP of its own or a labelled box's area is
#: that labelled defect; a solid blob of at most DOT_SIDE px (the middle of the
#: generators' overlapping dot and <100> loop sizes at the 512 px working size)
#: and aspect >= DOT_ASPECT is a dot, a larger or longer one a <100> loop.
OVERLAP, DOT_SIDE, DOT_ASPECT = 0.3, 16, 0.7


def dark_candidates(image: np.ndarray, *, k: float = 2.0, max_side: int = 80) -> np.ndarray:
    """Boxes ``x0, y0, x1, y1`` (px) of compact dark blobs of a greyscale image.

    The residual ``blur(image, BACKGROUND) - blur(image, SMOOTH)`` is
    thresholded at ``k`` robust standard deviations (median absolute
    deviation), opened once, and split into connected regions. A region is kept
    when it has at least ``MIN_AREA`` px, fills at least ``MIN_FILL`` of its
    bounding box (lines and networks do not), and no side exceeds
    ``max_side`` px.

    Examples
    --------
    >>> img = np.full((64, 64), 200, np.uint8)
    >>> yy, xx = np.mgrid[:64, :64]
    >>> img[(yy - 20) ** 2 + (xx - 40) ** 2 <= 16] = 60
    >>> dark_candidates(img).round().tolist()
    [[35.0, 15.0, 46.0, 26.0]]
    """
    return dark_blobs(image, k=k, max_side=max_side)[0]


def dark_blobs(
    image: np.ndarray, *, k: float = 2.0, max_side: int = 80
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`dark_candidates` boxes, and per box whether the blob is solid.

    A blob is solid when filling its holes adds less than ``1 - SOLID`` of its
    area: a closed dark dot or ellipse, not an open ring.
    """
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D greyscale image, got shape {image.shape}")
    g = image.astype(np.float32)
    r = ndi.gaussian_filter(g, BACKGROUND) - ndi.gaussian_filter(g, SMOOTH)
    spread = 1.4826 * float(np.median(np.abs(r - np.median(r)))) + 1e-6
    mask = ndi.binary_opening(r > k * spread)
    lab, _ = ndi.label(mask)
    out, solid = [], []
    for i, sl in enumerate(ndi.find_objects(lab)):
        if sl is None:
            continue
        h, w = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        region = lab[sl] == i + 1
        area = int(np.count_nonzero(region))
        if area < MIN_AREA or area < MIN_FILL * h * w or max(h, w) > max_side:
            continue
        out.append([sl[1].start, sl[0].start, sl[1].stop, sl[0].stop])
        solid.append(area >= SOLID * np.count_nonzero(ndi.binary_fill_holes(region)))
    return np.asarray(out, np.float32).reshape(-1, 4), np.asarray(solid, bool)


def pseudo_labels(
    blobs: np.ndarray, solid: np.ndarray, labelled: np.ndarray
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Shape classes for the unboxed blobs of a partly labelled image.

    Blobs overlapping a labelled box (``OVERLAP`` of either box's area) are
    dropped: they are the labelled defects. Of the rest, a solid blob becomes
    a ``dot`` when it is round (aspect >= ``DOT_ASPECT``) and at most
    ``DOT_SIDE`` px across, otherwise a ``loop100`` (Shen et al.'s closed solid
    ellipse); a blob that is not solid (a ring) stays an ignore region.

    Returns
    -------
    boxes : ndarray (N, 4), classes : list of N names, ignore : ndarray (M, 4)
    """
    b = torch.from_numpy(np.asarray(blobs, np.float32))
    lab = torch.from_numpy(np.asarray(labelled, np.float32).reshape(-1, 4))
    free = (inside_fraction(b, lab) < OVERLAP).numpy()
    if len(lab) and len(b):
        free &= (_inside_matrix(lab, b).amax(0) < OVERLAP).numpy()  # no label inside a blob
    side = np.maximum(blobs[:, 2] - blobs[:, 0], blobs[:, 3] - blobs[:, 1])
    short = np.minimum(blobs[:, 2] - blobs[:, 0], blobs[:, 3] - blobs[:, 1])
    aspect = short / np.maximum(side, 1e-6)
    named = free & solid
    classes = [
        "dot" if (s <= DOT_SIDE and a >= DOT_ASPECT) else "loop100"
        for s, a in zip(side[named], aspect[named], strict=True)
    ]
    return blobs[named], classes, blobs[free & ~solid]


def image_candidates(image: np.ndarray, working: int = 512) -> np.ndarray:
    """:func:`dark_candidates` of ``image`` read at ``working`` px (longer side), in its own px.

    The blob rule's scales are those of the detector's working images, so a
    large image is read at that size and the boxes scaled back.
    """
    import cv2

    f = min(1.0, working / max(image.shape))
    small = (
        image
        if f == 1.0
        else cv2.resize(np.ascontiguousarray(image), None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    )
    return dark_candidates(small) / np.float32(f)


def outside_ignore(pred: Defects, truth: Defects, ignore: np.ndarray, *, iou: float) -> Defects:
    """``pred`` without its unmatched boxes lying at least half inside an ignore region.

    ``ignore`` holds ``x0, y0, x1, y1`` rows. Such a box may be one of the
    unlabelled defects the region marks, so it counts neither as right nor as
    wrong; a box matching a labelled defect at ``iou`` or more is always kept.
    """
    if not len(ignore) or not len(pred.boxes):
        return pred
    xyxy = torch.from_numpy(pred.boxes.copy())
    xyxy[:, 2:] += xyxy[:, :2]
    inside = inside_fraction(xyxy, torch.from_numpy(np.asarray(ignore)).double()).numpy()
    matched = np.zeros(len(pred.boxes), bool)
    if len(truth.boxes):
        matched = box_iou(pred.boxes, truth.boxes).max(1) >= iou
    return pred.select(matched | (inside < 0.5))


def inside_fraction(boxes: torch.Tensor, regions: torch.Tensor) -> torch.Tensor:
    """Per box ``x0, y0, x1, y1``: the largest share of its area inside one region.

    Examples
    --------
    >>> inside_fraction(torch.tensor([[0., 0., 4., 4.], [10., 10., 12., 12.]]),
    ...                 torch.tensor([[2., 0., 8., 8.]])).tolist()
    [0.5, 0.0]
    """
    if regions.numel() == 0 or boxes.numel() == 0:
        return boxes.new_zeros(boxes.shape[0])
    return _inside_matrix(boxes, regions).amax(1)


def _inside_matrix(boxes: torch.Tensor, regions: torch.Tensor) -> torch.Tensor:
    """(N, M) share of each box's area inside each region."""
    lt = torch.maximum(boxes[:, None, :2], regions[None, :, :2])
    rb = torch.minimum(boxes[:, None, 2:], regions[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    area = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).clamp(min=1e-6)
    return (wh[..., 0] * wh[..., 1]) / area[:, None]


def _split(boxes: torch.Tensor, labels: torch.Tensor):
    keep = labels != IGNORE_LABEL
    return keep, boxes[keep], boxes[~keep]


def ignore_unlabelled(model: nn.Module, fraction: float = 0.5) -> nn.Module:
    """Make ``model`` (torchvision Faster R-CNN) skip negatives in ignore regions.

    Target rows labelled :data:`IGNORE_LABEL` are removed before matching;
    then every anchor (region proposal network) and proposal (box head) that
    was matched as background and lies at least ``fraction`` inside one such
    region is given the label -1, which torchvision's samplers never draw.
    Positives are untouched. Returns ``model``, changed in place (training only:
    inference takes no targets).
    """
    rpn, heads = model.rpn, model.roi_heads
    anchors_assign = rpn.assign_targets_to_anchors
    proposals_assign = heads.assign_targets_to_proposals

    def assign_anchors(self, anchors, targets):
        parts = [_split(t["boxes"], t["labels"]) for t in targets]
        labels, matched = anchors_assign(anchors, [{"boxes": kept} for _, kept, _ in parts])
        for i, (_, _, ignore) in enumerate(parts):
            if ignore.numel():
                hide = (labels[i] == 0) & (inside_fraction(anchors[i], ignore) >= fraction)
                labels[i] = torch.where(hide, torch.full_like(labels[i], -1.0), labels[i])
        return labels, matched

    def assign_proposals(self, proposals, gt_boxes, gt_labels):
        parts = [_split(b, lab) for b, lab in zip(gt_boxes, gt_labels, strict=True)]
        kept_labels = [lab[k] for lab, (k, _, _) in zip(gt_labels, parts, strict=True)]
        matched, labels = proposals_assign(proposals, [kept for _, kept, _ in parts], kept_labels)
        for i, (keep, kept, ignore) in enumerate(parts):
            if kept.numel():  # indices into the kept rows -> into all rows
                matched[i] = torch.nonzero(keep).squeeze(1)[matched[i]]
            if ignore.numel():
                hide = (labels[i] == 0) & (inside_fraction(proposals[i], ignore) >= fraction)
                labels[i] = torch.where(hide, torch.full_like(labels[i], -1), labels[i])
        return matched, labels

    rpn.assign_targets_to_anchors = types.MethodType(assign_anchors, rpn)
    heads.assign_targets_to_proposals = types.MethodType(assign_proposals, heads)
    return model
