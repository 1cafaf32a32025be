"""Distances between tracked dislocations: pile-up spacing (Govind et al. 2023, Fig. 15).

The distance between two dislocations is the symmetric mean nearest-point
distance of their curves (:func:`temdefects.geometry.curve_distance_matrix`),
in px.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from temdefects.dislocations.analysis.tracking import TrackResult
from temdefects.geometry import curve_distance_matrix, mean_distance

__all__ = ["Spacing", "mean_spacing", "neighbour_spacing", "pair_distance"]


@dataclass(frozen=True)
class Spacing:
    """A track's nearest neighbour in one frame.

    Attributes
    ----------
    frame : int
        Index in the frame sequence.
    track, neighbour : int
        Track ids.
    distance : float
        Mean curve distance between the two, px.
    """

    frame: int
    track: int
    neighbour: int
    distance: float


def neighbour_spacing(
    result: TrackResult, *, to: Literal["segments", "points"] = "segments"
) -> list[Spacing]:
    """Distance from every track to its nearest neighbour track, frame by frame.

    Parameters
    ----------
    result : TrackResult
        Output of :func:`temdefects.dislocations.analysis.tracking.track`.
    to : {"segments", "points"}
        Passed to :func:`temdefects.geometry.curve_distance_matrix`.

    Returns
    -------
    list of Spacing
        Ordered by frame, then track id. Only tracks observed in a frame take
        part; a track alone in its frame has no row.

    Examples
    --------
    >>> import numpy as np
    >>> from temdefects.dislocations.analysis.tracking import track
    >>> x = np.linspace(0, 40, 50)
    >>> line = np.column_stack([x, np.zeros(50)])
    >>> rows = neighbour_spacing(track([[line, line + [0, 10], line + [0, 25]]]))
    >>> [(r.track, r.neighbour, round(r.distance, 6)) for r in rows]
    [(1, 2, 10.0), (2, 1, 10.0), (3, 2, 15.0)]
    """
    rows = []
    for frame in range(result.n_frames):
        present = result.present(frame)
        if len(present) < 2:
            continue
        ids = [i for i, _ in present]
        curves = [c for _, c in present]
        dist = curve_distance_matrix(curves, curves, to=to)
        np.fill_diagonal(dist, np.inf)
        nearest = np.argmin(dist, axis=1)
        rows.extend(
            Spacing(frame=frame, track=ids[k], neighbour=ids[j], distance=float(dist[k, j]))
            for k, j in enumerate(nearest)
        )
    return rows


def pair_distance(
    result: TrackResult,
    id_a: int,
    id_b: int,
    *,
    to: Literal["segments", "points"] = "segments",
) -> tuple[np.ndarray, np.ndarray]:
    """Distance between two tracks in every frame where both were found.

    Parameters
    ----------
    result : TrackResult
    id_a, id_b : int
        Two different track ids.
    to : {"segments", "points"}
        Passed to :func:`temdefects.geometry.mean_distance`.

    Returns
    -------
    frames : numpy.ndarray
        ``(m,)`` int frame indices, increasing.
    distances : numpy.ndarray
        ``(m,)`` mean curve distances, px.

    Raises
    ------
    ValueError
        If an id is unknown or both ids are equal.
    """
    if id_a == id_b:
        raise ValueError(f"a pair needs two different tracks, got {id_a} twice")
    a, b = result.get(id_a), result.get(id_b)
    frames, ia, ib = np.intersect1d(a.frames, b.frames, assume_unique=True, return_indices=True)
    distances = np.array(
        [mean_distance(a.curves[i], b.curves[j], to=to) for i, j in zip(ia, ib, strict=True)],
        dtype=float,
    )
    return frames.astype(np.intp), distances


def mean_spacing(rows: Sequence[Spacing]) -> float:
    """Mean of the nearest-neighbour distances, px; NaN without rows."""
    return float(np.mean([r.distance for r in rows])) if rows else math.nan
