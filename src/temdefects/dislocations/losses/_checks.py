"""Option and input validation shared by the loss functions and modules."""

from __future__ import annotations

import math
import numbers
from typing import Literal

import torch

Matching = Literal["greedy", "hungarian"]
Reduction = Literal["mean", "none"]
Pairs = list[tuple[int, int]]

MATCHING_METHODS: tuple[str, ...] = ("greedy", "hungarian")
REDUCTIONS: tuple[str, ...] = ("mean", "none")


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")


def _check_number(name: str, value: object, *, positive: bool) -> None:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        ok = math.isfinite(value) and (value > 0 if positive else value >= 0)
    if not ok:
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}")


def _check_options(
    *,
    matching: str,
    smooth: float,
    empty_weight: float,
    objectness_weight: float,
    reduction: str,
) -> None:
    _check_choice("matching", matching, MATCHING_METHODS)
    _check_choice("reduction", reduction, REDUCTIONS)
    _check_number("smooth", smooth, positive=True)
    _check_number("empty_weight", empty_weight, positive=False)
    _check_number("objectness_weight", objectness_weight, positive=False)


def _check_inputs(pred: torch.Tensor, target: torch.Tensor) -> None:
    if not isinstance(pred, torch.Tensor) or not isinstance(target, torch.Tensor):
        raise ValueError("pred and target must be torch tensors")
    if pred.ndim != 4:
        raise ValueError(f"pred must be 4D (B, N, H, W); got shape {tuple(pred.shape)}")
    if target.ndim != 4:
        raise ValueError(f"target must be 4D (B, M, H, W); got shape {tuple(target.shape)}")
    if pred.shape[0] != target.shape[0] or pred.shape[2:] != target.shape[2:]:
        raise ValueError(
            "pred (B, N, H, W) and target (B, M, H, W) must agree in B, H and W; "
            f"got {tuple(pred.shape)} and {tuple(target.shape)}"
        )
    if pred.shape[0] == 0 or pred.shape[1] == 0 or pred.shape[2] * pred.shape[3] == 0:
        raise ValueError(
            "pred needs at least one image, one channel and one pixel; "
            f"got shape {tuple(pred.shape)}"
        )
    if not pred.is_floating_point():
        raise ValueError(f"pred must be a floating tensor of probabilities; got {pred.dtype}")
    if target.is_complex():
        raise ValueError(f"target must be bool, integer or floating; got {target.dtype}")
    if pred.device != target.device:
        raise ValueError(
            f"pred and target must be on one device; got {pred.device} and {target.device}"
        )
    if pred.numel() > 0:
        lo, hi = torch.aminmax(pred.detach())
        if not (lo >= 0 and hi <= 1):  # also catches NaN
            raise ValueError(
                "pred must hold probabilities in [0, 1] (apply sigmoid to logits first); "
                f"got values in [{lo.item():g}, {hi.item():g}]"
            )
    if target.numel() > 0 and target.dtype != torch.bool:
        lo, hi = torch.aminmax(target.detach())
        if not (lo >= 0 and hi <= 1):
            raise ValueError(
                "target must be binary masks with values in [0, 1]; "
                f"got values in [{lo.item():g}, {hi.item():g}]"
            )


def _check_objectness(objectness: torch.Tensor | None, pred: torch.Tensor, weight: float) -> None:
    if objectness is None:
        if weight > 0:
            raise ValueError("objectness_weight > 0 needs objectness logits of shape (B, N)")
        return
    if not isinstance(objectness, torch.Tensor) or not objectness.is_floating_point():
        raise ValueError("objectness must be a floating tensor of logits (B, N)")
    if tuple(objectness.shape) != tuple(pred.shape[:2]):
        raise ValueError(
            f"objectness must have shape (B, N) = {tuple(pred.shape[:2])}; "
            f"got {tuple(objectness.shape)}"
        )
    if objectness.device != pred.device:
        raise ValueError(f"objectness must be on {pred.device}; got {objectness.device}")
