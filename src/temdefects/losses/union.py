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


def union_loss(
    logits: torch.Tensor, masks: torch.Tensor, *, smooth: float = 1.0, bce_weight: float = 1.0
) -> torch.Tensor:
    """Mean over the batch of ``soft Dice loss + bce_weight * BCE`` of the unions.

    Parameters
    ----------
    logits : Tensor (B, N, H, W)
        Raw mask logits of the network.
    masks : Tensor (B, M, H, W)
        Binary target masks, padded with empty ones (M >= 1).
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
    pred = logits.float().amax(dim=1)
    target = masks.to(pred.dtype).amax(dim=1)
    bce = F.binary_cross_entropy_with_logits(pred, target, reduction="none").mean(dim=(1, 2))
    p = torch.sigmoid(pred)
    inter = (p * target).sum(dim=(1, 2))
    dice = 1.0 - (2.0 * inter + smooth) / (p.sum(dim=(1, 2)) + target.sum(dim=(1, 2)) + smooth)
    return (dice + bce_weight * bce).mean()
