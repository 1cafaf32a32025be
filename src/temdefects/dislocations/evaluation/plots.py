"""Figures of an evaluation: the model x data heat map (Fig. 9a of Govind et al.
2023) and the score per number of dislocations (Fig. 9b).

Figures are drawn on a bare :class:`matplotlib.figure.Figure` (Agg canvas), so
nothing is displayed and pyplot's global state is never touched; functions
return PNG bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["boxplot_png", "group_by_count", "matrix_png"]


def group_by_count(
    rows: Sequence[Mapping], *, key: str = "length_score", count_key: str = "n_true"
) -> dict[int, list[float]]:
    """Per-image values grouped by an integer count, e.g. dislocations per image.

    Parameters
    ----------
    rows : sequence of dict
        Per-image results (as in :attr:`EvalResult.rows`).
    key : str
        The value to collect; NaN values are left out.
    count_key : str
        The integer to group by.

    Returns
    -------
    dict
        count -> values in row order, with the counts in increasing order.

    Raises
    ------
    ValueError
        If a row lacks ``key`` or ``count_key``.

    Examples
    --------
    >>> group_by_count([{"n_true": 3, "length_score": 0.5},
    ...                 {"n_true": 1, "length_score": 1.0},
    ...                 {"n_true": 3, "length_score": 0.25}])
    {1: [1.0], 3: [0.5, 0.25]}
    """
    groups: dict[int, list[float]] = {}
    for k, row in enumerate(rows):
        if key not in row or count_key not in row:
            raise ValueError(f"rows[{k}] lacks {key!r} or {count_key!r}")
        value = float(row[key])
        if not math.isnan(value):
            groups.setdefault(int(row[count_key]), []).append(value)
    return dict(sorted(groups.items()))


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


def boxplot_png(
    rows: Sequence[Mapping],
    *,
    key: str = "length_score",
    title: str = "",
    ylabel: str = "length score",
) -> bytes:
    """Box plot of a per-image score against the number of true dislocations.

    Each box is one count of dislocations (``n_true``); its tick label shows
    the count and the number of images ``n`` in the group.

    Returns
    -------
    bytes
        A PNG image.
    """
    from matplotlib.figure import Figure

    groups = group_by_count(rows, key=key)
    fig = Figure(figsize=(max(4.0, 0.45 * len(groups) + 2.0), 3.6), dpi=100, layout="tight")
    ax = fig.add_subplot()
    if groups:
        positions = np.arange(1, len(groups) + 1)
        ax.boxplot(list(groups.values()), positions=positions, widths=0.6)
        ax.set_xticks(positions, [f"{c}\nn={len(v)}" for c, v in groups.items()], fontsize=8)
    else:
        ax.text(0.5, 0.5, "no values", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("dislocations per image (n = images)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def matrix_png(
    values: np.ndarray,
    models: Sequence[str],
    datasets: Sequence[str],
    *,
    title: str = "mean length score",
) -> bytes:
    """Heat map of a (models, datasets) matrix with its value in each cell.

    The colour scale is fixed to [0, 1] so that figures of different runs
    compare; NaN cells (no result) are blank and labelled ``-``.

    Returns
    -------
    bytes
        A PNG image.

    Raises
    ------
    ValueError
        If ``values`` is not (len(models), len(datasets)).
    """
    from matplotlib.figure import Figure

    values = np.asarray(values, dtype=float)
    if values.shape != (len(models), len(datasets)):
        raise ValueError(
            f"values: expected shape ({len(models)}, {len(datasets)}) for the given "
            f"names, got {values.shape}"
        )
    width = 2.5 + 1.1 * len(datasets)
    fig = Figure(figsize=(width, 1.5 + 0.6 * len(models)), dpi=100, layout="tight")
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(values), vmin=0.0, vmax=1.0, cmap="viridis")
    for (i, j), v in np.ndenumerate(values):
        text = "-" if math.isnan(v) else f"{v:.3f}"
        colour = "black" if math.isnan(v) or v > 0.6 else "white"
        ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=9)
    ax.set_xticks(range(len(datasets)), list(datasets), rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(models)), list(models), fontsize=8)
    ax.set_xlabel("data set")
    ax.set_ylabel("model")
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return _png(fig)
