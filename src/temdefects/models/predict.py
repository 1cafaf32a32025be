"""Inference on numpy images: padding, batching, probabilities out."""

from __future__ import annotations

import numpy as np
import torch

from temdefects.models.net import DislocationNet


def _as_unit(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"predict: expected a 2D greyscale image, got shape {image.shape}")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    if image.dtype == np.uint16:
        return image.astype(np.float32) / 65535.0
    if np.issubdtype(image.dtype, np.floating):
        return image.astype(np.float32)
    raise ValueError(f"predict: expected uint8, uint16 or float image, got {image.dtype}")


def _channels_last(model: torch.nn.Module) -> bool:
    """Whether the model's convolution weights are in channels-last layout (see ``load``)."""
    for p in model.parameters():
        if p.dim() == 4 and p.shape[1] > 1:  # a one-channel weight fits both layouts
            return p.is_contiguous(memory_format=torch.channels_last) and not p.is_contiguous()
    return False


@torch.no_grad()
def predict(
    model: DislocationNet, images, *, batch_size: int = 4, device: str | torch.device | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Mask probabilities for one image or a list of equally sized images.

    Parameters
    ----------
    model
        A network in eval mode (see :func:`temdefects.models.load`).
    images
        (H, W) array or a sequence of them: uint8, uint16 or float in [0, 1].
    batch_size
        Images per forward pass.
    device
        Defaults to the model's device.

    Returns
    -------
    probs : float32 (N, H, W), or (B, N, H, W) for a sequence
    objectness : float32 (N,) / (B, N) probabilities, or None without that head
    """
    single = isinstance(images, np.ndarray) and images.ndim == 2
    batch = [images] if single else list(images)
    if not batch:
        raise ValueError("predict: no images")
    arrays = [_as_unit(im) for im in batch]
    h, w = arrays[0].shape
    if any(a.shape != (h, w) for a in arrays):
        raise ValueError("predict: all images of one call must have the same shape")
    m = model.multiple
    ph, pw = (-h) % m, (-w) % m
    device = device or next(model.parameters()).device
    layout = torch.channels_last if _channels_last(model) else torch.contiguous_format
    probs, scores = [], []
    for start in range(0, len(arrays), batch_size):
        chunk = np.stack(arrays[start : start + batch_size])[:, None]
        if ph or pw:
            chunk = np.pad(chunk, ((0, 0), (0, 0), (0, ph), (0, pw)), mode="reflect")
        x = torch.from_numpy(chunk).to(device).contiguous(memory_format=layout)
        logits, obj = model(x)
        probs.append(torch.sigmoid(logits[..., :h, :w]).float().cpu().numpy())
        if obj is not None:
            scores.append(torch.sigmoid(obj).float().cpu().numpy())
    p = np.concatenate(probs)
    s = np.concatenate(scores) if scores else None
    if single:
        return p[0], (s[0] if s is not None else None)
    return p, s
