"""Augmentations of an image with its instance masks, driven by an explicit generator.

Photometric (the paper's): Gaussian noise, brightness, contrast, histogram
equalisation; geometric: mirror, 90-degree rotations, random crops. Geometric
changes are applied to the masks too.
"""

from __future__ import annotations

import cv2
import numpy as np

from temdefects.train.config import AugmentConfig


def random_crop(image: np.ndarray, masks: np.ndarray, size: int, rng: np.random.Generator):
    """A ``size`` x ``size`` window of ``image`` (H, W) and ``masks`` (K, H, W).

    Images smaller than ``size`` are padded by reflection (masks with zeros).
    """
    h, w = image.shape
    if size <= 0:
        return image, masks
    ph, pw = max(size - h, 0), max(size - w, 0)
    if ph or pw:
        image = np.pad(image, ((0, ph), (0, pw)), mode="reflect")
        masks = np.pad(masks, ((0, 0), (0, ph), (0, pw)))
        h, w = image.shape
    y = int(rng.integers(0, h - size + 1))
    x = int(rng.integers(0, w - size + 1))
    return image[y : y + size, x : x + size], masks[:, y : y + size, x : x + size]


def geometric(image: np.ndarray, masks: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator):
    """Random mirror and 90-degree rotation of image and masks together."""
    if cfg.flip and rng.random() < 0.5:
        image, masks = image[:, ::-1], masks[:, :, ::-1]
    if cfg.rot90:
        k = int(rng.integers(4))
        if k:
            image, masks = np.rot90(image, k), np.rot90(masks, k, axes=(1, 2))
    return np.ascontiguousarray(image), np.ascontiguousarray(masks)


def photometric(image: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """Equalisation, contrast, brightness and noise on a float image in [0, 1]."""
    out = image.astype(np.float32, copy=True)
    if rng.random() < cfg.equalize_probability:
        u8 = np.clip(out * 255 + 0.5, 0, 255).astype(np.uint8)
        out = cv2.equalizeHist(u8).astype(np.float32) / 255.0
    if rng.random() < cfg.contrast_probability:
        mean = np.float32(out.mean())
        out = (out - mean) * np.float32(cfg.contrast.sample(rng)) + mean
    if rng.random() < cfg.brightness_probability:
        out += np.float32(cfg.brightness.sample(rng))
    if rng.random() < cfg.noise_probability:
        out += np.float32(cfg.noise_sigma.sample(rng)) * rng.standard_normal(
            out.shape, dtype=np.float32
        )
    return np.clip(out, 0.0, 1.0)


def augment(
    image: np.ndarray,
    masks: np.ndarray,
    cfg: AugmentConfig,
    rng: np.random.Generator,
    *,
    crop: int = 0,
    min_mask_pixels: int = 0,
):
    """Crop, geometric and photometric augmentation of one training sample.

    Parameters
    ----------
    image
        (H, W) uint8 or float in [0, 1].
    masks
        (K, H, W) bool instance masks.
    crop
        Side of a random crop (0: keep the whole image).
    min_mask_pixels
        Masks with fewer pixels left after cropping are dropped.

    Returns
    -------
    image : float32 (h, w) in [0, 1]
    masks : bool (K', h, w)
    """
    if image.ndim != 2 or masks.ndim != 3 or masks.shape[1:] != image.shape:
        raise ValueError(f"augment: image {image.shape} and masks {masks.shape} do not match")
    if image.dtype == np.uint8:
        image = image.astype(np.float32) / 255.0
    image, masks = random_crop(image, masks, crop, rng)
    image, masks = geometric(image, masks, cfg, rng)
    if min_mask_pixels and len(masks):
        masks = masks[masks.reshape(len(masks), -1).sum(1) >= min_mask_pixels]
    return photometric(image, cfg, rng), masks
