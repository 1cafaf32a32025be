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


#: The mirror images averaged by ``predict(..., flips=True)``: (rows, columns) flipped.
FLIPS = ((False, False), (False, True), (True, False), (True, True))


def _flip(x: torch.Tensor, rows: bool, cols: bool) -> torch.Tensor:
    dims = [d for d, on in ((-2, rows), (-1, cols)) if on]
    return torch.flip(x, dims) if dims else x


@torch.no_grad()
def predict(
    model: DislocationNet,
    images,
    *,
    batch_size: int = 4,
    device: str | torch.device | None = None,
    flips: bool = False,
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
    flips
        Test-time augmentation: average the probabilities of the image and its
        three mirror images (4x the time). Only for one-mask networks (a
        segmentation of the union); an N-mask network may put a dislocation
        into another mask in a mirror image.

    Returns
    -------
    probs : float32 (N, H, W), or (B, N, H, W) for a sequence
    objectness : float32 (N,) / (B, N) probabilities, or None without that head
    """
    single = isinstance(images, np.ndarray) and images.ndim == 2
    batch = [images] if single else list(images)
    if not batch:
        raise ValueError("predict: no images")
    if flips and model.config.n_masks != 1:
        raise ValueError("predict: flips need a one-mask network (N masks are not mirror-stable)")
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
        prob, obj = 0.0, None
        for rows, cols in FLIPS if flips else FLIPS[:1]:
            view = chunk[..., :: -1 if rows else 1, :: -1 if cols else 1]
            if ph or pw:  # padded after the flip: every view sees the same borders
                view = np.pad(view, ((0, 0), (0, 0), (0, ph), (0, pw)), mode="reflect")
            x = torch.from_numpy(np.ascontiguousarray(view)).to(device)
            logits, o = model(x.contiguous(memory_format=layout))
            prob = prob + _flip(torch.sigmoid(logits[..., :h, :w].float()), rows, cols)
            if o is not None:
                obj = torch.sigmoid(o.float()) + (0.0 if obj is None else obj)
        n = len(FLIPS) if flips else 1
        probs.append((prob / n).cpu().numpy())
        if obj is not None:
            scores.append((obj / n).cpu().numpy())
    p = np.concatenate(probs)
    s = np.concatenate(scores) if scores else None
    if single:
        return p[0], (s[0] if s is not None else None)
    return p, s
