"""Union loss: soft Dice + BCE between the union of the predicted masks and of the labels.

For adaptation to a few hand-labelled real frames, where the labels are
partial strokes and which dislocation goes into which channel does not need
to be learnt again: the analysis (``--method trace``) traces lines through the
union of the masks, so the union is what is trained. The union of the
predictions is their maximum over channels (the same union the analysis
binarises); sigmoid(max logit) equals max sigmoid, so the BCE runs on the
logits for stability. This is the plain binary-segmentation objective (Dice +
BCE) that a user would train a U-Net with from scratch, applied to the N-mask
model, so the two can be compared with the pre-training as the only difference.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def near_labels(target: torch.Tensor, reach: int) -> torch.Tensor:
    """(B, H, W) float: 1 within ``reach`` px (square) of a labelled pixel of ``target``."""
    return F.max_pool2d(target[:, None], 2 * reach + 1, stride=1, padding=reach)[:, 0]


def union_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    smooth: float = 1.0,
    bce_weight: float = 1.0,
    reach: int = 0,
) -> torch.Tensor:
    """Mean over the batch of ``soft Dice loss + bce_weight * BCE`` of the unions.

    Parameters
    ----------
    logits : Tensor (B, N, H, W)
        Raw mask logits of the network.
    masks : Tensor (B, M, H, W)
        Binary target masks, padded with empty ones (M >= 1).
    reach : int
        0: every pixel counts. > 0: only pixels within ``reach`` px of a
        labelled pixel count, in both terms. Hand labels often mark only some
        dislocations; the rest of the frame is then unknown rather than
        background, and this keeps it out of the loss. An image without labels
        then adds nothing.
    """
    if logits.ndim != 4 or masks.ndim != 4:
        raise ValueError(
            f"union_loss: expected (B, N, H, W) logits and masks, got "
            f"{tuple(logits.shape)} and {tuple(masks.shape)}"
        )
    if logits.shape[0] != masks.shape[0] or logits.shape[2:] != masks.shape[2:]:
        raise ValueError(
            f"union_loss: batch/size of logits {tuple(logits.shape)} and masks "
            f"{tuple(masks.shape)} differ"
        )
    if reach < 0:
        raise ValueError(f"union_loss: reach must be >= 0, got {reach}")
    pred = logits.float().amax(dim=1)
    target = masks.to(pred.dtype).amax(dim=1)
    weight = near_labels(target, reach) if reach else torch.ones_like(target)
    bce_map = F.binary_cross_entropy_with_logits(pred, target, reduction="none")
    bce = (bce_map * weight).sum(dim=(1, 2)) / weight.sum(dim=(1, 2)).clamp(min=1.0)
    p = torch.sigmoid(pred) * weight
    inter = (p * target).sum(dim=(1, 2))
    dice = 1.0 - (2.0 * inter + smooth) / (p.sum(dim=(1, 2)) + target.sum(dim=(1, 2)) + smooth)
    if reach:
        dice = dice * (weight.sum(dim=(1, 2)) > 0)  # nothing labelled: nothing known
    return (dice + bce_weight * bce).mean()
