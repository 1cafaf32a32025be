"""Matched Dice loss as pure functions; see the package docstring for conventions."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from temdefects.dislocations.losses._checks import (
    MATCHING_METHODS,
    Matching,
    Pairs,
    Reduction,
    _check_choice,
    _check_inputs,
    _check_number,
    _check_objectness,
    _check_options,
)
from temdefects.dislocations.losses.matching import match


def _assign(cost: torch.Tensor, valid: torch.Tensor, method: Matching) -> list[Pairs]:
    """Match each image of a (B, M, N) cost on its valid (non-empty) target rows."""
    cost_np = cost.detach().to("cpu", torch.float64).numpy()
    valid_np = valid.detach().cpu().numpy()
    out = []
    for c, v in zip(cost_np, valid_np, strict=True):
        rows = np.flatnonzero(v)
        out.append([(int(rows[i]), j) for i, j in match(c[rows], method=method)])
    return out


def _dice_terms(
    pred: torch.Tensor, target: torch.Tensor, smooth: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Dice-loss matrix (B, M, N) and the pixel sums of pred (B, N) and target (B, M)."""
    # float16/bfloat16 would lose precision in sums over ~1e5 pixels; autocast
    # would otherwise run the matmul in half precision again.
    dtype = torch.promote_types(pred.dtype, torch.float32)
    b, n = pred.shape[:2]
    m = target.shape[1]
    with torch.autocast(device_type=pred.device.type, enabled=False):
        p = pred.reshape(b, n, -1).to(dtype)
        t = target.reshape(b, m, -1).to(dtype)
        inter = torch.einsum("bmp,bnp->bmn", t, p)
        p_sum = p.sum(-1)
        t_sum = t.sum(-1)
        # smooth > 0 keeps the denominator positive, also for empty masks
        loss = 1 - (2 * inter + smooth) / (t_sum[:, :, None] + p_sum[:, None, :] + smooth)
    return loss, p_sum, t_sum


def dice_loss_matrix(
    pred: torch.Tensor, target: torch.Tensor, *, smooth: float = 1.0
) -> torch.Tensor:
    """Dice loss of every (target, prediction) pair of each image.

    ``L[b, m, n] = 1 - (2 sum(p t) + smooth) / (sum(p) + sum(t) + smooth)`` with
    ``p = pred[b, n]`` and ``t = target[b, m]``, computed by one batched matmul
    over the flattened pixels, in float32 (float64 if ``pred`` is float64).

    Parameters
    ----------
    pred : Tensor
        Probabilities in [0, 1] (not logits), floating dtype.
    target : Tensor
        Binary masks (bool, integer or floating).
    smooth : float
        Additive smoothing, > 0. A pair of empty masks has loss 0.

    Returns
    -------
    Tensor
        Differentiable Dice-loss matrix.

    Shape
    -----
    pred : (B, N, H, W)
    target : (B, M, H, W)
    returns : (B, M, N)

    Raises
    ------
    ValueError
        On wrong shapes, dtypes, value ranges or ``smooth <= 0``.
    """
    _check_number("smooth", smooth, positive=True)
    _check_inputs(pred, target)
    return _dice_terms(pred, target, smooth)[0]


def matched_assignment(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    matching: Matching = "greedy",
    smooth: float = 1.0,
) -> list[Pairs]:
    """Matching used by :func:`matched_dice_loss`, without gradient.

    Parameters
    ----------
    pred, target : Tensor
        As in :func:`matched_dice_loss`.
    matching : {"greedy", "hungarian"}
        See :func:`match`.
    smooth : float
        Dice smoothing; use the loss's value to get the loss's matching.

    Returns
    -------
    list of list of (int, int)
        Per image, ``(target_index, pred_index)`` pairs sorted by target
        index. Target indices refer to ``target``'s channels; padding (empty)
        masks never appear.

    Shape
    -----
    pred : (B, N, H, W)
    target : (B, M, H, W)
    """
    _check_choice("matching", matching, MATCHING_METHODS)
    _check_number("smooth", smooth, positive=True)
    _check_inputs(pred, target)
    with torch.no_grad():
        loss, _, t_sum = _dice_terms(pred, target, smooth)
    return _assign(loss, t_sum > 0, matching)


def matched_dice_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    matching: Matching = "greedy",
    smooth: float = 1.0,
    empty_weight: float = 0.0,
    objectness: torch.Tensor | None = None,
    objectness_weight: float = 0.0,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """Dice loss averaged over matched (target, prediction) pairs.

    With the defaults this is Algorithm 1 of Govind et al. (2023). Per image,
    with ``K`` non-empty targets and ``U`` the set of unmatched channels::

        loss = (sum of matched Dice losses + number of unmatched targets) / K
               + empty_weight * mean_{n in U} mean_pixels(pred[n])
               + objectness_weight * mean_n BCE(objectness[n], n is matched)

    The Dice part is 0 when ``K == 0``; the area part is 0 when ``U`` is
    empty. See the module docstring for the matching conventions.

    Parameters
    ----------
    pred : Tensor
        Probabilities in [0, 1] (apply sigmoid first; logits are rejected),
        floating dtype. float16/bfloat16 are summed in float32.
    target : Tensor
        Binary masks, bool, integer or floating; all-zero masks are padding
        and ignored.
    matching : {"greedy", "hungarian"}
        Matching of targets to channels, done on the detached Dice losses.
    smooth : float
        Dice smoothing, > 0.
    empty_weight : float
        Weight (>= 0) of the mean soft area of unmatched channels.
    objectness : Tensor, optional
        Per-channel logits; trained with BCE towards 1 on matched channels and
        0 on the others. Required when ``objectness_weight > 0``.
    objectness_weight : float
        Weight (>= 0) of the objectness BCE.
    reduction : {"mean", "none"}
        ``"mean"``: scalar mean over images; ``"none"``: one value per image.

    Returns
    -------
    Tensor
        float32 (float64 for float64 ``pred``) loss.

    Shape
    -----
    pred : (B, N, H, W)
    target : (B, M, H, W)
    objectness : (B, N)
    returns : () for ``reduction="mean"``, (B,) for ``"none"``

    Raises
    ------
    ValueError
        On wrong shapes, dtypes, value ranges or option values.

    Examples
    --------
    >>> import torch
    >>> target = torch.zeros(1, 2, 8, 8, dtype=torch.bool)
    >>> target[0, 0, :2], target[0, 1, 4:6] = True, True
    >>> pred = torch.zeros(1, 3, 8, 8)
    >>> pred[0, 2] = target[0, 0].float()
    >>> pred[0, 0] = target[0, 1].float()
    >>> float(matched_dice_loss(pred, target))
    0.0
    """
    _check_options(
        matching=matching,
        smooth=smooth,
        empty_weight=empty_weight,
        objectness_weight=objectness_weight,
        reduction=reduction,
    )
    _check_inputs(pred, target)
    _check_objectness(objectness, pred, objectness_weight)

    loss_matrix, p_sum, t_sum = _dice_terms(pred, target, smooth)
    valid = t_sum.detach() > 0
    pairs = _assign(loss_matrix, valid, matching)

    b, _, n = loss_matrix.shape
    device, dtype = loss_matrix.device, loss_matrix.dtype
    flat = [(i, t, p) for i, image_pairs in enumerate(pairs) for t, p in image_pairs]
    bi, ti, pi = torch.tensor(flat, dtype=torch.long).reshape(-1, 3).unbind(1)
    matched = torch.zeros(b, n, dtype=torch.bool)
    matched[bi, pi] = True
    matched = matched.to(device)
    bi, ti, pi = bi.to(device), ti.to(device), pi.to(device)

    n_targets = valid.sum(1).to(dtype)
    n_unmatched_targets = n_targets - matched.sum(1).to(dtype)
    matched_sum = torch.zeros(b, dtype=dtype, device=device)
    matched_sum = matched_sum.index_add(0, bi, loss_matrix[bi, ti, pi])
    loss = (matched_sum + n_unmatched_targets) / n_targets.clamp_min(1)

    if empty_weight > 0:
        area = p_sum / float(pred.shape[2] * pred.shape[3])
        unmatched = (~matched).to(dtype)
        empty = (area * unmatched).sum(1) / unmatched.sum(1).clamp_min(1)
        loss = loss + empty_weight * empty

    if objectness is not None and objectness_weight > 0:
        bce = F.binary_cross_entropy_with_logits(
            objectness.to(dtype), matched.to(dtype), reduction="none"
        ).mean(1)
        loss = loss + objectness_weight * bce

    return loss.mean() if reduction == "mean" else loss
