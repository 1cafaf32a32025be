"""Tiny drawn fixtures for the metrics tests (cv2 points are (x, y))."""

import cv2
import numpy as np

DTYPES = [bool, np.uint8, np.float64]


def line(p0, p1, *, thickness=1, shape=(64, 128)):
    """A bool mask with one straight segment from ``p0`` to ``p1`` (x, y)."""
    m = np.zeros(shape, np.uint8)
    cv2.line(m, tuple(p0), tuple(p1), 1, thickness)
    return m.astype(bool)


def polyline(points, *, thickness=1, shape=(64, 128)):
    """A bool mask with an open polyline through ``points`` (x, y)."""
    m = np.zeros(shape, np.uint8)
    cv2.polylines(m, [np.asarray(points, np.int32)], False, 1, thickness)
    return m.astype(bool)


def hline(x0, x1, y=20, *, thickness=1, shape=(64, 128)):
    """Horizontal segment of columns ``x0 .. x1`` (both included) in row ``y``."""
    return line((x0, y), (x1, y), thickness=thickness, shape=shape)


def stack(*masks, shape=(64, 128)):
    """Stack masks into (K, H, W); no masks gives a (0, H, W) stack."""
    if not masks:
        return np.zeros((0, *shape), bool)
    return np.stack(masks)


def empty(shape=(64, 128)):
    return np.zeros(shape, bool)
