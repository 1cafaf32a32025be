"""The record a format reader hands to :mod:`temdefects.io.frames`.

Readers yield :class:`RawPlane` objects (a 2D numeric array plus calibration);
``frames`` turns them into public :class:`~temdefects.io.frames.Frame` objects
with names and indices, so naming rules live in one place.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# ITU-R BT.601 luma weights, as used by OpenCV's and Pillow's RGB -> grey.
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


class RawPlane(NamedTuple):
    """One 2D image as read, before conversion to a Frame.

    Attributes
    ----------
    image
        2D numeric array in the file's own data type (or float32 luminance
        for colour data, with ``dtype`` naming the original type).
    dtype
        Name of the data type stored in the file (``"uint8"``, ``"float32"`` ...).
    pixel_size
        Nanometres per pixel from the metadata, or ``None``.
    unit
        Unit text found in the metadata, or ``None``.
    stack
        True when the file holds (or may hold) more than one frame.
    """

    image: np.ndarray
    dtype: str
    pixel_size: float | None
    unit: str | None
    stack: bool


def luminance(rgb: np.ndarray, *, bgr: bool = False) -> np.ndarray:
    """(H, W, 3|4) colour array -> (H, W) float32 luminance in the input's value range."""
    channels = rgb[..., :3].astype(np.float32)
    if bgr:
        channels = channels[..., ::-1]
    return channels @ _LUMA


def grey_plane(arr: np.ndarray, *, bgr: bool = False) -> tuple[np.ndarray, str]:
    """Return ``(2D array, dtype name)``; colour (H, W, 3|4) becomes luminance.

    Raises
    ------
    ValueError
        If the array is neither 2D nor (H, W, 3|4), or has a complex type.
    """
    arr = np.asarray(arr)
    dtype = arr.dtype.name
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        arr = luminance(arr, bgr=bgr)
    elif arr.ndim == 3 and arr.shape[2] == 2:  # grey + alpha
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ValueError(f"expected a 2D image, got shape {arr.shape}")
    if np.iscomplexobj(arr):
        raise ValueError(f"complex pixel type {dtype} is not an image")
    return arr, dtype
