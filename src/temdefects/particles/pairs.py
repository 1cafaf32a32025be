"""Image/label pairs that train and test the particle segmenter.

Two sources share one interface (``len`` and ``pairs[i] -> (image, labels)``,
the image float32 in [0, 1] as prepared for the model, the labels int32 with 0
for background):

* :class:`FolderPairs`: generated folders (``NNNNNN.png`` + ``NNNNNN.npz``),
  one or several, each as ``(folder, names)``;
* :class:`ArrayPairs`: images and masks held in memory, e.g. a user's own
  labelled micrographs for fine-tuning.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class FolderPairs:
    """Samples of one or more generated folders, in the order of ``groups``."""

    def __init__(self, groups: list[tuple[str | os.PathLike, list[str]]]):
        self.groups = [(Path(folder), list(names)) for folder, names in groups]
        self.items = [(folder, name) for folder, names in self.groups for name in names]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        from temdefects.particles.segment import read_pair

        return read_pair(*self.items[index])


class ArrayPairs:
    """Prepared images and label images (or masks) held in memory."""

    def __init__(self, images: list[np.ndarray], labels: list[np.ndarray]):
        if len(images) != len(labels):
            raise ValueError(f"ArrayPairs: {len(images)} images but {len(labels)} label images")
        for i, (image, label) in enumerate(zip(images, labels, strict=True)):
            if np.shape(image) != np.shape(label) or np.ndim(image) != 2:
                raise ValueError(
                    f"ArrayPairs: pair {i} has image shape {np.shape(image)} and labels "
                    f"{np.shape(label)}; expected equal 2D shapes"
                )
        self.images = [np.asarray(im, np.float32) for im in images]
        self.labels = [np.asarray(lb).astype(np.int32, copy=False) for lb in labels]

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return self.images[index], self.labels[index]


def as_pairs(data) -> FolderPairs | ArrayPairs:
    """``data`` as pairs: a pairs object, one ``(folder, names)`` or a list of them."""
    if isinstance(data, (FolderPairs, ArrayPairs)):
        return data
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], (str, os.PathLike)):
        return FolderPairs([data])
    return FolderPairs(list(data))


__all__ = ["ArrayPairs", "FolderPairs", "as_pairs"]
