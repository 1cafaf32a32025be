"""Hand labels drawn as strokes on an image (black lines on white, or white on black).

Each 8-connected stroke becomes one instance mask. Strokes that touch or
cross merge into one instance: a stroke image cannot tell them apart.
"""

from __future__ import annotations

import cv2
import numpy as np

from temdefects.io._planes import luminance


def strokes_to_masks(
    label_image: np.ndarray,
    *,
    dark: bool = True,
    min_size: int = 10,
    width: int | None = None,
) -> np.ndarray:
    """Split a stroke label image into one boolean mask per stroke.

    Parameters
    ----------
    label_image
        (H, W) or (H, W, 3|4) uint8 image (colour in RGB(A) order; alpha is
        ignored, like Pillow's ``convert('L')``), or an (H, W) bool image.
    dark
        True for dark strokes on a light background: foreground is luminance
        < 128. False for light strokes on black: foreground is luminance > 0.
        A bool image is used as the foreground directly when ``dark`` is False
        and inverted when it is True.
    min_size
        Components with fewer pixels are dropped (specks, JPEG noise).
    width
        If given, each stroke is replaced by its skeleton dilated to this
        width in pixels, so that strokes drawn with different pens become
        comparable. ``None`` keeps the strokes as drawn.

    Returns
    -------
    numpy.ndarray
        ``(K, H, W)`` bool, one mask per stroke, ordered by the raster
        position of each stroke's first pixel.

    Examples
    --------
    >>> img = np.full((20, 20), 255, np.uint8)
    >>> img[5, 2:18] = 0
    >>> strokes_to_masks(img, min_size=5).shape
    (1, 20, 20)
    """
    fg = _foreground(np.asarray(label_image), dark=dark)
    if isinstance(min_size, bool) or not isinstance(min_size, (int, np.integer)) or min_size < 1:
        raise ValueError(f"min_size must be an integer >= 1, got {min_size!r}")
    if width is not None and (
        isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1
    ):
        raise ValueError(f"width must be None or an integer >= 1, got {width!r}")
    n, labels, stats, _ = cv2.connectedComponentsWithStats(
        fg.astype(np.uint8), connectivity=8, ltype=cv2.CV_32S
    )
    keep = [k for k in range(1, n) if stats[k, cv2.CC_STAT_AREA] >= min_size]
    masks = np.zeros((len(keep), *fg.shape), dtype=bool)
    kernel = None
    if width is not None:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (int(width), int(width)))
    for i, k in enumerate(keep):
        component = labels == k
        if kernel is not None:
            from skimage.morphology import skeletonize

            skeleton = skeletonize(component).astype(np.uint8)
            component = cv2.dilate(skeleton, kernel) > 0
        masks[i] = component
    return masks


def _foreground(image: np.ndarray, *, dark: bool) -> np.ndarray:
    if image.dtype == np.bool_:
        if image.ndim != 2:
            raise ValueError(f"a bool label image must be (H, W), got shape {image.shape}")
        return ~image if dark else image
    if image.dtype != np.uint8:
        raise TypeError(f"label image must be uint8 or bool, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] in (3, 4):
        image = np.round(luminance(image))
    elif image.ndim != 2:
        raise ValueError(f"label image must be (H, W) or (H, W, 3|4), got shape {image.shape}")
    return image < 128 if dark else image > 0
