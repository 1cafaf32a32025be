"""Dislocations followed over the frames of a video: ids that stay with a line.

Govind et al. (2023), sec. 6.4 and Fig. 15, follow dislocations of a pile-up
through an in-situ TEM video. Here each frame's curves are matched one-to-one
(:func:`scipy.optimize.linear_sum_assignment`) to the open tracks by the
symmetric mean curve distance of :func:`temdefects.geometry.curve_distance_matrix`.
Curves are ``(P, 2)`` arrays of ``(x, y) = (column, row)`` points in px.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from temdefects.geometry import curve_distance_matrix

__all__ = ["Motion", "Track", "TrackResult", "motion", "track"]


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Track:
    """One dislocation followed over the frames in which it was found.

    Attributes
    ----------
    id : int
        1, 2, ... in order of first appearance.
    frames : numpy.ndarray
        ``(n,)`` increasing indices into the frame sequence where it was found;
        frames skipped within the allowed gap are absent.
    curves : tuple of numpy.ndarray
        Its ``(P, 2)`` curve in each of those frames.
    indices : numpy.ndarray
        ``(n,)`` position of each curve in its frame's list of curves.
    """

    id: int
    frames: np.ndarray
    curves: tuple[np.ndarray, ...]
    indices: np.ndarray

    def __len__(self) -> int:
        return len(self.frames)

    def centroids(self) -> np.ndarray:
        """``(n, 2)`` mean ``(x, y)`` of each curve's points, px."""
        return np.array([c.mean(axis=0) for c in self.curves]).reshape(-1, 2)

    def displacements(self) -> np.ndarray:
        """``(n, 2)`` centroid shift since the previous observed frame, px; NaN first."""
        out = np.full((len(self), 2), np.nan)
        out[1:] = np.diff(self.centroids(), axis=0)
        return out

    def steps(self) -> np.ndarray:
        """``(n,)`` frames since the previous observation (1 without a gap); NaN first."""
        out = np.full(len(self), np.nan)
        out[1:] = np.diff(self.frames)
        return out

    def velocities(self) -> np.ndarray:
        """``(n, 2)`` centroid velocity in px/frame: displacement / frames elapsed; NaN first."""
        return self.displacements() / self.steps()[:, None]

    def speeds(self) -> np.ndarray:
        """``(n,)`` magnitude of :meth:`velocities`, px/frame; NaN first."""
        return np.hypot(*self.velocities().T)

    def normal_velocities(self) -> np.ndarray:
        """``(n,)`` signed velocity across the line, px/frame; NaN first.

        The centroid velocity projected onto the unit normal of the previous
        curve's principal direction. That direction is oriented like the
        track's first curve (from its first to its last point), and the normal
        is the direction turned by +90 degrees: ``(-t_y, t_x)``, so the sign is
        consistent along the track even when curves are stored reversed.
        """
        out = np.full(len(self), np.nan)
        if len(self) < 2:
            return out
        ref = self.curves[0][-1] - self.curves[0][0]
        vel = self.velocities()
        for k in range(1, len(self)):
            t = _direction(self.curves[k - 1], ref)
            out[k] = vel[k, 1] * t[0] - vel[k, 0] * t[1]
        return out


def _direction(curve: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Unit principal direction of a curve's points, oriented to agree with ``ref``."""
    centred = curve - curve.mean(axis=0)
    if len(curve) < 2 or not np.any(centred):
        return np.array([1.0, 0.0])
    t = np.linalg.svd(centred, full_matrices=False)[2][0]
    return -t if t @ ref < 0 else t


@dataclass(frozen=True, eq=False)
class TrackResult:
    """Tracks of a frame sequence and the settings that made them.

    Attributes
    ----------
    tracks : tuple of Track
        In order of id.
    n_frames : int
        Frames in the sequence (including frames without curves).
    max_distance, max_gap, min_track_length
        The arguments of :func:`track`.
    """

    tracks: tuple[Track, ...]
    n_frames: int
    max_distance: float
    max_gap: int
    min_track_length: int

    @property
    def ids(self) -> list[int]:
        """The track ids, increasing."""
        return [t.id for t in self.tracks]

    def get(self, track_id: int) -> Track:
        """The track with this id.

        Raises
        ------
        ValueError
            If there is no such track.
        """
        for t in self.tracks:
            if t.id == track_id:
                return t
        known = f"ids 1..{len(self.tracks)}" if self.tracks else "no tracks"
        raise ValueError(f"no track with id {track_id} ({known})")

    def present(self, frame: int) -> list[tuple[int, np.ndarray]]:
        """``(id, curve)`` of every track observed in ``frame``, by id."""
        out = []
        for t in self.tracks:
            k = np.searchsorted(t.frames, frame)
            if k < len(t) and t.frames[k] == frame:
                out.append((t.id, t.curves[k]))
        return out


def _curves(frames: Sequence[Sequence[np.ndarray]]) -> list[list[np.ndarray]]:
    out = []
    for f, frame in enumerate(frames):
        curves = []
        for i, c in enumerate(frame):
            arr = np.asarray(c, dtype=float)
            if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) == 0:
                raise ValueError(
                    f"frames[{f}][{i}]: expected a (P, 2) array of (x, y) points with P >= 1, "
                    f"got shape {arr.shape}"
                )
            if not np.isfinite(arr).all():
                raise ValueError(f"frames[{f}][{i}]: points must be finite")
            curves.append(_frozen(arr.copy()))
        out.append(curves)
    return out


def track(
    frames: Sequence[Sequence[np.ndarray]],
    *,
    max_distance: float = 20.0,
    max_gap: int = 2,
    min_track_length: int = 1,
) -> TrackResult:
    """Give dislocations ids that stay with them from frame to frame.

    Parameters
    ----------
    frames : sequence of sequences of numpy.ndarray
        In frame order, each frame's curves as ``(P, 2)`` ``(x, y)`` arrays in
        px (``P`` may differ). A frame may be empty.
    max_distance : float
        Largest symmetric mean curve distance (px) between a track's last
        curve and a curve of the current frame that may be linked.
    max_gap : int
        A track not matched in up to this many consecutive frames stays open
        and may continue after the gap; one more missed frame closes it for
        good. 0 allows no gaps.
    min_track_length : int
        Tracks observed in fewer frames than this are dropped from the result;
        the remaining tracks are numbered 1, 2, ... in order of first
        appearance (by curve position within a frame).

    Returns
    -------
    TrackResult

    Raises
    ------
    ValueError
        If a curve is not a finite ``(P, 2)`` array or an option is out of range.

    Notes
    -----
    In every frame, the distance matrix between the last curves of the open
    tracks and the frame's curves is matched one-to-one so that the number of
    pairs within ``max_distance`` is largest and, among those, their summed
    distance is smallest; pairs farther than ``max_distance`` are never
    linked. Unmatched curves start new tracks.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0, 40, 50)
    >>> line = np.column_stack([x, np.full(50, 10.0)])
    >>> result = track([[line, line + [0, 30]], [line + [0, 32], line + [0, 2]]])
    >>> [t.indices.tolist() for t in result.tracks]
    [[0, 1], [1, 0]]
    >>> result.get(1).speeds()
    array([nan,  2.])
    """
    if not (
        isinstance(max_distance, int | float) and math.isfinite(max_distance) and max_distance >= 0
    ):
        raise ValueError(f"max_distance must be a finite number >= 0, got {max_distance!r}")
    if isinstance(max_gap, bool) or not isinstance(max_gap, int) or max_gap < 0:
        raise ValueError(f"max_gap must be an integer >= 0, got {max_gap!r}")
    if (
        isinstance(min_track_length, bool)
        or not isinstance(min_track_length, int)
        or min_track_length < 1
    ):
        raise ValueError(f"min_track_length must be an integer >= 1, got {min_track_length!r}")
    sequence = _curves(frames)
    # each track: [frames, curves, indices]; open ones are still matchable
    tracks: list[tuple[list[int], list[np.ndarray], list[int]]] = []
    open_: list[int] = []
    for f, curves in enumerate(sequence):
        open_ = [k for k in open_ if f - tracks[k][0][-1] - 1 <= max_gap]
        matched: dict[int, int] = {}
        if open_ and curves:
            dist = curve_distance_matrix([tracks[k][1][-1] for k in open_], curves)
            # an infeasible pair costs more than any set of feasible ones, so the
            # assignment first maximises the number of feasible pairs
            big = max_distance * (min(dist.shape) + 1) + 1.0
            cost = np.where(dist <= max_distance, dist, big)
            for r, c in zip(*linear_sum_assignment(cost), strict=True):
                if dist[r, c] <= max_distance:
                    matched[int(c)] = open_[r]
        for i, curve in enumerate(curves):
            if i in matched:
                k = matched[i]
            else:
                k = len(tracks)
                tracks.append(([], [], []))
                open_.append(k)
            tracks[k][0].append(f)
            tracks[k][1].append(curve)
            tracks[k][2].append(i)
    kept = [t for t in tracks if len(t[0]) >= min_track_length]
    return TrackResult(
        tracks=tuple(
            Track(
                id=n,
                frames=_frozen(np.array(fr, dtype=np.intp)),
                curves=tuple(cs),
                indices=_frozen(np.array(ix, dtype=np.intp)),
            )
            for n, (fr, cs, ix) in enumerate(kept, start=1)
        ),
        n_frames=len(sequence),
        max_distance=float(max_distance),
        max_gap=max_gap,
        min_track_length=min_track_length,
    )


@dataclass(frozen=True)
class Motion:
    """Position and motion of one track in one frame (px, px/frame; NaN first).

    ``velocity`` is the speed ``displacement / step``; ``normal_velocity``
    is :meth:`Track.normal_velocities`.
    """

    track: int
    frame: int
    index: int
    x: float
    y: float
    dx: float
    dy: float
    displacement: float
    step: float
    velocity: float
    normal_velocity: float


def motion(result: TrackResult) -> list[Motion]:
    """Per track and observed frame: centroid, displacement and velocity.

    Returns
    -------
    list of Motion
        Ordered by track id, then frame.
    """
    rows = []
    for t in result.tracks:
        cen, disp, steps = t.centroids(), t.displacements(), t.steps()
        speed, normal = t.speeds(), t.normal_velocities()
        for k in range(len(t)):
            rows.append(
                Motion(
                    track=t.id,
                    frame=int(t.frames[k]),
                    index=int(t.indices[k]),
                    x=float(cen[k, 0]),
                    y=float(cen[k, 1]),
                    dx=float(disp[k, 0]),
                    dy=float(disp[k, 1]),
                    displacement=float(np.hypot(*disp[k])),
                    step=float(steps[k]),
                    velocity=float(speed[k]),
                    normal_velocity=float(normal[k]),
                )
            )
    return rows
