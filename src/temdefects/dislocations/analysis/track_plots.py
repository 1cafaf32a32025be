"""Figures of tracked dislocations: spacing against frame (Govind et al. 2023, Fig. 15)
and centroid trajectories.

Figures are drawn on a bare :class:`matplotlib.figure.Figure` with an Agg
canvas, so nothing is displayed and pyplot's global state is never touched;
functions return PNG bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np

from temdefects.dislocations.analysis.spacing import Spacing
from temdefects.dislocations.analysis.tracking import TrackResult

__all__ = ["distance_png", "spacing_png", "trajectories_png"]

# more lines than this get no legend: it would hide the data
_LEGEND_MAX = 12


def _figure(size: tuple[float, float]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=100, layout="tight")
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


def distance_png(
    series: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    pixel_size: float | None = None,
    title: str = "",
    ylabel: str = "distance",
) -> bytes:
    """Distances against frame number, one line with markers per series.

    Parameters
    ----------
    series : mapping
        Label -> ``(frames, distances_px)``; frames where the distance is
        unknown are simply absent (a gap in the line is not drawn).
    pixel_size : float, optional
        nm per px: distances are plotted in nm when given, else in px.
    title, ylabel : str
        Figure title and the y label (the unit is appended).

    Returns
    -------
    bytes
        A PNG image.
    """
    scale, unit = (pixel_size, "nm") if pixel_size else (1.0, "px")
    fig = _figure((6.0, 3.6))
    ax = fig.add_subplot()
    for label, (frames, values) in series.items():
        ax.plot(
            np.asarray(frames),
            np.asarray(values, dtype=float) * scale,
            marker="o",
            markersize=3,
            linewidth=1,
            label=label,
        )
    if not series:
        ax.text(0.5, 0.5, "no distances", ha="center", va="center", transform=ax.transAxes)
    elif len(series) <= _LEGEND_MAX:
        ax.legend(fontsize=8)
    ax.set_xlabel("frame")
    ax.set_ylabel(f"{ylabel} ({unit})")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    return _png(fig)


def spacing_png(
    rows: Sequence[Spacing],
    *,
    pixel_size: float | None = None,
    title: str = "",
    max_tracks: int = 12,
) -> bytes:
    """Distance of each track to its nearest neighbour against frame, one line per track.

    Only the ``max_tracks`` tracks seen in the most frames are drawn (a crowded
    plot shows nothing); the title says how many were left out, and
    ``spacing.csv`` always has all of them. See :func:`distance_png` for
    ``pixel_size`` and the return value.
    """
    series: dict[int, tuple[list[int], list[float]]] = {}
    for r in sorted(rows, key=lambda r: (r.track, r.frame)):
        frames, values = series.setdefault(r.track, ([], []))
        frames.append(r.frame)
        values.append(r.distance)
    keep = sorted(series, key=lambda t: (-len(series[t][0]), t))[:max_tracks]
    if len(series) > len(keep):
        note = f"{len(keep)} longest of {len(series)} tracks"
        title = f"{title} ({note})" if title else note
    converted = {
        f"track {t}": (np.array(series[t][0]), np.array(series[t][1])) for t in sorted(keep)
    }
    return distance_png(
        converted, pixel_size=pixel_size, title=title, ylabel="distance to nearest neighbour"
    )


def trajectories_png(
    result: TrackResult, *, shape: tuple[int, int] | None = None, title: str = ""
) -> bytes:
    """Centroid path of every track in image coordinates (y pointing down).

    Parameters
    ----------
    result : TrackResult
    shape : (int, int), optional
        Image ``(H, W)``: the axes span the image. Without it they span the paths.
    title : str

    Returns
    -------
    bytes
        A PNG image; each path starts at a dot labelled with the track id.
    """
    if shape is not None:
        h, w = shape
        aspect = h / w if w else 1.0
    else:
        aspect = 1.0
    fig = _figure((6.0, float(np.clip(6.0 * aspect, 2.5, 9.0))))
    ax = fig.add_subplot()
    for t in result.tracks:
        cen = t.centroids()
        (line,) = ax.plot(cen[:, 0], cen[:, 1], linewidth=1, marker=".", markersize=3)
        ax.plot(*cen[0], marker="o", markersize=5, color=line.get_color())
        ax.annotate(
            str(t.id),
            cen[0],
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=7,
            color=line.get_color(),
        )
    if shape is not None:
        ax.set_xlim(-0.5, shape[1] - 0.5)
        ax.set_ylim(shape[0] - 0.5, -0.5)
    else:
        ax.invert_yaxis()
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("x (px)")
    ax.set_ylabel("y (px)")
    ax.set_title(title or f"{len(result.tracks)} tracks over {result.n_frames} frames", fontsize=9)
    return _png(fig)
