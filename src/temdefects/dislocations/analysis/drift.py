"""Drift of an in-situ video: how far each frame's content moved, for stabilised tracking.

In-situ straining videos drift and jump as the stage and specimen move; a
dislocation that stands still then seems to glide. Each frame is registered to
the previous one by phase correlation (scikit-image
:func:`~skimage.registration.phase_cross_correlation`, sub-pixel by upsampling)
on a copy shrunk to at most ``max_side`` px, background-flattened (a Gaussian
of 1/16 of the side removed, so uneven illumination does not register) and
windowed (Hann); the frame-to-frame shifts are summed into each frame's drift
relative to frame 0. Registering to the previous frame follows slow changes
of the picture (moving dislocations, changing contrast) that would defeat a
fixed reference.

Coordinates: ``drift[k] = (dx, dy)`` in px of the full frame is where frame 0's
content lies in frame ``k`` relative to where it lay in frame 0, so a point at
``p`` in frame ``k`` is at ``p - drift[k]`` in stabilised (frame-0) coordinates.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np
from scipy import ndimage
from skimage.registration import phase_cross_correlation

__all__ = ["DriftTracker", "estimate_drift", "registration_image"]


def registration_image(image: np.ndarray, max_side: int = 512) -> tuple[np.ndarray, float]:
    """The windowed, flattened, shrunk copy registered, and its scale factor."""
    x = np.asarray(image, np.float32)
    if x.ndim != 2:
        raise ValueError(f"expected a 2D frame, got shape {x.shape}")
    f = min(1.0, max_side / max(x.shape))
    if f < 1.0:
        size = (max(8, round(x.shape[1] * f)), max(8, round(x.shape[0] * f)))
        x = cv2.resize(x, size, interpolation=cv2.INTER_AREA)
    x = x - ndimage.gaussian_filter(x, max(x.shape) / 16.0)
    window = np.outer(np.hanning(x.shape[0]), np.hanning(x.shape[1])).astype(np.float32)
    return x * window, f


class DriftTracker:
    """Frame-by-frame drift, one frame at a time (keeps only the previous frame).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> base = ndimage.gaussian_filter(rng.normal(size=(128, 128)), 3)
    >>> t = DriftTracker()
    >>> t.add(base).tolist(), [round(float(v), 1) for v in t.add(ndimage.shift(base, (2, -3)))]
    ([0.0, 0.0], [-3.0, 2.0])
    """

    def __init__(self, *, upsample: int = 20, max_side: int = 512):
        self.upsample, self.max_side = int(upsample), int(max_side)
        self._prev = None
        self._drift = np.zeros(2)

    def add(self, frame: np.ndarray) -> np.ndarray:
        """The drift ``(dx, dy)`` of this frame (px), relative to the first frame added."""
        cur, f = registration_image(frame, self.max_side)
        if self._prev is not None and self._prev.shape == cur.shape:
            shift, _, _ = phase_cross_correlation(
                self._prev, cur, upsample_factor=self.upsample, normalization=None
            )
            # ``shift`` moves ``cur`` onto the previous frame: the content moved by -shift.
            self._drift = self._drift - np.array([shift[1], shift[0]]) / f
        elif self._prev is not None:
            raise ValueError(
                f"frame of shape {np.shape(frame)} differs in size from the previous frames"
            )
        self._prev = cur
        return self._drift.copy()


def estimate_drift(frames: Iterable[np.ndarray], *, upsample: int = 20, max_side: int = 512):
    """``(N, 2)`` drift ``(dx, dy)`` of every frame relative to the first, px.

    Raises
    ------
    ValueError
        For a frame that is not 2D or differs in size from the others.
    """
    tracker = DriftTracker(upsample=upsample, max_side=max_side)
    out = [tracker.add(f) for f in frames]
    return np.array(out, float).reshape(-1, 2)
