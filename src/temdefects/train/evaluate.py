"""Test-split evaluation during training: test loss and the paper's metric."""

from __future__ import annotations

import numpy as np
import torch

from temdefects.metrics import aggregate, evaluate_image
from temdefects.synth.files import read_image_and_masks


@torch.no_grad()
def evaluate_split(model, folder, names, config, device, *, loss_fn) -> dict:
    """Mean test loss and aggregated metrics (:func:`temdefects.metrics.aggregate`).

    Whole images, no augmentation; images are padded by reflection to a
    multiple of 32 and the outputs cropped back.
    """
    model.eval()
    ec = config.eval
    rows, losses = [], []
    for start in range(0, len(names), ec.batch_size):
        pairs = [read_image_and_masks(folder, n) for n in names[start : start + ec.batch_size]]
        shapes = {p[0].shape for p in pairs}
        groups = [pairs] if len(shapes) == 1 else [[p] for p in pairs]
        for group in groups:
            h, w = group[0][0].shape
            m = model.multiple
            images = np.stack([p[0] for p in group]).astype(np.float32)[:, None] / 255.0
            images = np.pad(images, ((0, 0), (0, 0), (0, (-h) % m), (0, (-w) % m)), mode="reflect")
            k = max(1, max(len(p[1]) for p in group))
            masks = np.zeros((len(group), k, h, w), bool)
            for i, p in enumerate(group):
                masks[i, : len(p[1])] = p[1]
            logits, obj = model(torch.from_numpy(images).to(device))
            logits = logits[..., :h, :w]
            losses.append(
                float(loss_fn(config, logits, obj, torch.from_numpy(masks).to(device))) * len(group)
            )
            probs = torch.sigmoid(logits.float()).cpu().numpy()
            for prob, (_, true) in zip(probs, group, strict=True):
                rows.append(
                    evaluate_image(prob, true, threshold=ec.threshold, min_size=ec.min_size)
                )
    model.train()
    summary = aggregate(rows)
    summary["loss"] = float(np.sum(losses) / len(rows))
    return summary
