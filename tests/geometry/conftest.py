"""Small masks drawn with OpenCV for the geometry tests."""

from __future__ import annotations

import cv2
import numpy as np
import pytest


def draw_line(shape, p0, p1, thickness=5):
    """Bool mask of a straight line from ``p0`` to ``p1`` (``(x, y)`` pixels)."""
    mask = np.zeros(shape, np.uint8)
    cv2.line(mask, p0, p1, 1, thickness)
    return mask.astype(bool)


def draw_arc(radius, *, start=0, end=180, thickness=5, size=None):
    """Bool mask of a circular arc of ``radius`` centred in the image."""
    size = size or 2 * radius + 20
    mask = np.zeros((size, size), np.uint8)
    centre = (size // 2, size // 2)
    cv2.ellipse(mask, centre, (radius, radius), 0, start, end, 1, thickness)
    return mask.astype(bool)


@pytest.fixture
def line_mask():
    """The :func:`draw_line` function, for tests that need their own lines."""
    return draw_line


@pytest.fixture
def arc_mask():
    """The :func:`draw_arc` function."""
    return draw_arc


@pytest.fixture
def hline():
    """Horizontal line from x=10 to x=90 at y=20, 5 px wide: length 80 px."""
    return draw_line((40, 100), (10, 20), (90, 20))


@pytest.fixture
def hline_with_spur(hline):
    """``hline`` with a 3 px wide side branch sticking out 5 px below its edge."""
    mask = hline.astype(np.uint8)
    cv2.line(mask, (50, 20), (50, 27), 1, 3)
    return mask.astype(bool)


@pytest.fixture
def hline_with_loop(hline):
    """``hline`` with a ring (a blob with a hole) around its middle."""
    mask = hline.astype(np.uint8)
    cv2.circle(mask, (50, 20), 8, 1, -1)
    cv2.circle(mask, (50, 20), 3, 0, -1)
    return mask.astype(bool)


@pytest.fixture
def two_lines():
    """A long (x 5..85, y 10) and a short (x 20..50, y 40) line, disjoint."""
    mask = draw_line((60, 100), (5, 10), (85, 10)).astype(np.uint8)
    cv2.line(mask, (20, 40), (50, 40), 1, 5)
    return mask.astype(bool)
