"""The defects of one image: boxes, classes, optional ellipses and scores.

One structure for predictions and ground truth, whatever file they came from.

Coordinates (those of the loop generator, :mod:`temdefects.synth.loops.files`):
``x`` is the column and ``y`` the row. A box ``(bx, by, width, height)`` covers
``[bx, bx + width) x [by, by + height)`` in continuous coordinates, so a box
of whole pixels starts at its first column and row. Ellipse centres put pixel
centres at integers. An ellipse is ``(x, y, major, minor, angle)`` with full
axis lengths in px and the major axis direction in degrees from the x axis
towards the y axis (clockwise on screen, as in OpenCV), in ``[0, 180)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from temdefects.synth.loops.config import CLASSES

__all__ = ["CLASSES", "Defects", "check_classes"]


def check_classes(classes: Sequence[str], *, where: str = "classes") -> tuple[str, ...]:
    """Return ``classes`` as a tuple after checking every name is in :data:`CLASSES`.

    Raises
    ------
    ValueError
        Naming the first unknown class.
    """
    out = tuple(str(c) for c in classes)
    for name in out:
        if name not in CLASSES:
            raise ValueError(
                f"{where}: unknown class {name!r} (expected one of {', '.join(CLASSES)})"
            )
    return out


@dataclass(frozen=True, eq=False)
class Defects:
    """Defects of one image.

    Attributes
    ----------
    boxes : ndarray (N, 4) float64
        ``bx, by, width, height`` per defect, width and height > 0.
    classes : tuple of str
        Class per defect, each in :data:`CLASSES`.
    ellipses : ndarray (N, 5) float64
        ``x, y, major, minor, angle`` per defect; a row of NaN when unknown.
    scores : ndarray (N,) float64
        Confidence per defect; 1.0 for ground truth.

    Examples
    --------
    >>> d = Defects.from_lists([[10, 10, 20, 8]], ["loop111"])
    >>> len(d), d.ellipses.shape, d.has_ellipse.tolist()
    (1, (1, 5), [False])
    """

    boxes: np.ndarray
    classes: tuple[str, ...]
    ellipses: np.ndarray
    scores: np.ndarray

    def __post_init__(self) -> None:
        boxes = np.asarray(self.boxes, np.float64).reshape(-1, 4)
        n = len(boxes)
        classes = check_classes(self.classes)
        ellipses = np.asarray(self.ellipses, np.float64)
        scores = np.asarray(self.scores, np.float64).reshape(-1)
        if len(classes) != n or ellipses.shape != (n, 5) or scores.shape != (n,):
            raise ValueError(
                f"Defects: expected {n} classes, (N, 5) ellipses and (N,) scores, got "
                f"{len(classes)}, {ellipses.shape} and {scores.shape}"
            )
        if not np.isfinite(boxes).all() or (boxes[:, 2:] <= 0).any():
            raise ValueError("Defects: boxes must be finite with width and height > 0")
        for name, value in (("boxes", boxes), ("ellipses", ellipses), ("scores", scores)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "classes", classes)

    @classmethod
    def from_lists(
        cls,
        boxes: Sequence[Sequence[float]],
        classes: Sequence[str],
        *,
        ellipses: Sequence[Sequence[float]] | None = None,
        scores: Sequence[float] | None = None,
    ) -> Defects:
        """Build from plain lists; missing ellipses become NaN, missing scores 1.0."""
        n = len(classes)
        ell = np.full((n, 5), np.nan) if ellipses is None else np.asarray(ellipses, float)
        sc = np.ones(n) if scores is None else np.asarray(scores, float)
        return cls(np.asarray(boxes, float).reshape(-1, 4), tuple(classes), ell.reshape(-1, 5), sc)

    @classmethod
    def empty(cls) -> Defects:
        """No defects."""
        return cls(np.zeros((0, 4)), (), np.zeros((0, 5)), np.zeros(0))

    def __len__(self) -> int:
        return len(self.classes)

    @property
    def has_ellipse(self) -> np.ndarray:
        """(N,) bool: the defect's ellipse is known."""
        return np.isfinite(self.ellipses).all(axis=1)

    def select(self, keep: np.ndarray) -> Defects:
        """The defects where the (N,) bool or index array ``keep`` selects."""
        idx = np.arange(len(self))[np.asarray(keep)]
        return Defects(
            self.boxes[idx],
            tuple(self.classes[i] for i in idx),
            self.ellipses[idx],
            self.scores[idx],
        )

    def with_ellipses(self, ellipses: np.ndarray) -> Defects:
        """A copy with the (N, 5) ``ellipses`` replaced."""
        return Defects(self.boxes, self.classes, np.asarray(ellipses, float), self.scores)
