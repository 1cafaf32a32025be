"""Training data: synthetic images made on the fly, or a generated folder.

Every sample is keyed so that its content depends only on the run seed and the
key, never on the number of workers: on-the-fly sample ``i`` is generated with
the synthetic seed ``(seed, i)`` (a new image for every step of every epoch) and
augmented with a generator seeded by ``(seed, i)``; a folder sample seen in epoch
``e`` at index ``i`` is augmented with ``(seed, e, i)``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from temdefects.errors import InputFileError
from temdefects.synth.config import SynthConfig
from temdefects.synth.dislocations.files import read_record
from temdefects.synth.dislocations.scene import generate
from temdefects.synth.files import list_samples, read_image_and_masks
from temdefects.train.augment import augment
from temdefects.train.config import AugmentConfig

AUGMENT_STREAM = 2  # tags keep the generators of one seed apart


class SynthSamples(Dataset):
    """Sample id -> a freshly generated, augmented image with its masks."""

    def __init__(
        self,
        synth: SynthConfig,
        seed: int,
        augment_cfg: AugmentConfig,
        *,
        crop: int,
        min_mask_pixels: int,
        backgrounds: str | None = None,
    ):
        self.synth, self.seed, self.aug = synth, int(seed), augment_cfg
        self.crop, self.min_pixels, self.backgrounds = crop, min_mask_pixels, backgrounds

    def __len__(self) -> int:
        return 2**62  # an endless stream; samplers pick the ids

    def __getitem__(self, sample_id: int):
        sample = generate(self.synth, self.seed, int(sample_id), backgrounds=self.backgrounds)
        rng = np.random.default_rng([self.seed, AUGMENT_STREAM, int(sample_id)])
        return augment(
            sample.image,
            sample.masks,
            self.aug,
            rng,
            crop=self.crop,
            min_mask_pixels=self.min_pixels,
        )


class FolderSamples(Dataset):
    """``(epoch, index)`` -> an augmented image of a generated folder."""

    def __init__(
        self,
        folder: str | os.PathLike,
        names: list[str],
        seed: int,
        augment_cfg: AugmentConfig | None,
        *,
        crop: int,
        min_mask_pixels: int,
    ):
        self.folder, self.names, self.seed = Path(folder), list(names), int(seed)
        self.aug, self.crop, self.min_pixels = augment_cfg, crop, min_mask_pixels

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, key):
        epoch, index = key if isinstance(key, tuple) else (0, key)
        image, masks = read_image_and_masks(self.folder, self.names[index])
        if self.aug is None:  # evaluation: whole image, no change
            return image.astype(np.float32) / 255.0, masks
        rng = np.random.default_rng([self.seed, AUGMENT_STREAM, int(epoch), int(index)])
        return augment(image, masks, self.aug, rng, crop=self.crop, min_mask_pixels=self.min_pixels)


def collate(batch: list) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack images (B, 1, H, W) and pad masks with empty ones to (B, max K or 1, H, W)."""
    images = torch.from_numpy(np.stack([b[0] for b in batch]).astype(np.float32))[:, None]
    k = max(1, max(len(b[1]) for b in batch))
    h, w = batch[0][0].shape
    masks = np.zeros((len(batch), k, h, w), dtype=bool)
    for i, (_, m) in enumerate(batch):
        masks[i, : len(m)] = m
    return images, torch.from_numpy(masks)


def worker_init(_: int) -> None:
    """One thread per data worker: the workers are the parallelism."""
    import cv2

    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def split_folder(
    folder: str | os.PathLike, train_images: int, test_images: int, test_folder: str | None
) -> tuple[list[str], Path, list[str]]:
    """Training names of ``folder`` and the test folder with its names.

    Without ``test_folder`` the last ``test_images`` images of ``folder`` are the
    test split and never used for training.
    """
    names = list_samples(folder)
    if not names:
        raise InputFileError(f"{folder}: no generated images (NNNNNN.json records) in folder")
    if test_folder:
        test_names = list_samples(test_folder)[:test_images]
        if not test_names:
            raise InputFileError(f"{test_folder}: no generated images in test folder")
        _check_records(Path(folder), names[:train_images])
        _check_records(Path(test_folder), test_names)
        return names[:train_images], Path(test_folder), test_names
    if len(names) <= test_images:
        raise InputFileError(
            f"{folder}: {len(names)} images cannot hold a test split of "
            f"{test_images}; lower data.test_images or add images"
        )
    train = names[:-test_images][:train_images]
    _check_records(Path(folder), train + names[-test_images:])
    return train, Path(folder), names[-test_images:]


def _check_records(folder: Path, names: list[str]) -> None:
    """Every record used parses (a corrupt one is an error, not a silent skip)."""
    for name in names:
        read_record(folder / f"{name}.json")


def epoch_keys(source: str, epoch: int, n: int, seed: int) -> list:
    """Sample keys of one epoch: new synthetic ids, or a permutation of the folder."""
    if source == "synth":
        return list(range(epoch * n, (epoch + 1) * n))
    order = np.random.default_rng([seed, 3, epoch]).permutation(n)
    return [(epoch, int(i)) for i in order]
