"""Plots of fitted generator distributions against the real ones (the paper's Figs. 7 and 14)."""

from __future__ import annotations

import os

import numpy as np

PANELS = (
    ("dislocations_per_pileup", "dislocations per pile-up"),
    ("spacing", "nearest-neighbour spacing (px)"),
    ("slip_width", "slip width (px)"),
    ("pileup_angle", "pile-up direction (deg)"),
    ("line_length", "line length (px)"),
    ("line_width", "line width, FWHM (px)"),
    ("line_contrast", "line contrast (depth / background)"),
)


def plot_fit(sets: dict[str, dict], path: str | os.PathLike) -> None:
    """Histograms of each distribution and the mean profile across a line, per set.

    ``sets`` maps a label (``real``, ``fitted``, ``base m2``) to the output of
    :func:`temdefects.synth.dislocations.fitting.distributions`.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(13, 6))
    for ax, (key, title) in zip(axes.ravel(), PANELS, strict=False):
        values = [np.asarray(d.get(key) or [], float) for d in sets.values()]
        pooled = (
            np.concatenate([v for v in values if len(v)]) if any(len(v) for v in values) else []
        )
        if not len(pooled):
            ax.set_visible(False)
            continue
        bins = np.histogram_bin_edges(pooled, bins=20)
        for (label, _), v in zip(sets.items(), values, strict=True):
            if len(v):
                ax.hist(v, bins=bins, density=True, histtype="step", lw=1.6, label=label)
        ax.set_title(title, fontsize=9)
    ax = axes.ravel()[-1]
    for label, d in sets.items():
        profile = d.get("mean_profile")
        if profile:
            p = np.asarray(profile)
            half = len(p) // 2
            ax.plot(np.arange(-half, half + 1), p / np.mean(p[[0, -1]]), label=label)
    ax.set_title("mean profile across a line (Fig. 14), / background", fontsize=9)
    ax.set_xlabel("offset (px)")
    axes.ravel()[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


__all__ = ["plot_fit"]
