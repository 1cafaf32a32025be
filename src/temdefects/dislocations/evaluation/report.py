"""Writing evaluation results: per pair a folder, for all pairs the matrices.

``OUT/<model>__<data>/per_image.csv``  one row per image (:data:`ROW_COLUMNS`)
``OUT/<model>__<data>/summary.json``   aggregate, paths, settings, failures
``OUT/<model>__<data>/boxplot.png``    length score per number of dislocations
``OUT/matrix.csv``                     models x data sets, mean length score
``OUT/matrix.md``                      the same, plus instance F1 and duplicate rate
``OUT/matrix.png``                     heat map of the mean length score

Every file is written atomically; other files in ``OUT`` are left alone.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from temdefects import __version__
from temdefects.dislocations.evaluation.plots import boxplot_png, matrix_png
from temdefects.dislocations.evaluation.run import EvalResult
from temdefects.io.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text

__all__ = [
    "MATRIX_TABLES",
    "ROW_COLUMNS",
    "SUMMARY_FORMAT",
    "format_table",
    "matrix",
    "pair_folder",
    "per_image_csv",
    "summary_dict",
    "write_matrix",
    "write_pair",
]

# A file-format tag written into summary.json, not a module path: kept across the move.
SUMMARY_FORMAT = "temdefects.evaluation/1"
#: Column order of ``per_image.csv``.
ROW_COLUMNS = (
    "image",
    "n_true",
    "n_pred",
    "length_score",
    "tp",
    "fp",
    "fn",
    "precision",
    "recall",
    "f1",
    "duplicates",
    "duplicate_rate",
    "mean_matched_dice",
    "union_dice",
    "union_iou",
    "cl_dice",
    "curve_distance",
)
#: Summary key -> heading of each table in ``matrix.md`` (the first is also matrix.csv/png).
MATRIX_TABLES = {
    "length_score": "Mean length score (Govind et al. 2023)",
    "f1": "Instance F1 (one-to-one matching, Dice >= match threshold)",
    "duplicate_rate": "Duplicate rate (duplicate predictions / predicted masks)",
}


def _cell(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "nan" if math.isnan(value) else f"{float(value):.6g}"
    return str(value)


def _plain(obj):
    """JSON-ready copy: NaN becomes null (JSON has no NaN), numpy scalars become Python."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (np.integer, np.bool_)):
        return obj.item()
    if isinstance(obj, (float, np.floating)):
        return None if math.isnan(obj) else float(obj)
    return obj


def pair_folder(out: str | os.PathLike, result: EvalResult) -> Path:
    """``OUT/<model>__<data>``: the folder of one (model, data) pair."""
    return Path(out) / f"{result.model_name}__{result.data_name}"


def per_image_csv(result: EvalResult) -> str:
    """``per_image.csv`` text: a header of :data:`ROW_COLUMNS`, one row per image."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(ROW_COLUMNS)
    for row in result.rows:
        writer.writerow([_cell(row[c]) for c in ROW_COLUMNS])
    return buf.getvalue()


def summary_dict(result: EvalResult) -> dict:
    """The content of ``summary.json``."""
    return _plain(
        {
            "format": SUMMARY_FORMAT,
            "temdefects_version": __version__,
            "model": result.model_name,
            "model_path": str(Path(result.model_path).resolve()) if result.model_path else None,
            "data": result.data_name,
            "data_path": str(Path(result.data_path).resolve()),
            "settings": result.settings,
            "n_images": len(result.rows),
            "n_failed": len(result.failed),
            "failed": result.failed,
            "summary": result.summary,
        }
    )


def write_pair(out: str | os.PathLike, result: EvalResult) -> Path:
    """Write ``per_image.csv``, ``summary.json`` and ``boxplot.png`` of one pair.

    Parameters
    ----------
    out : path
        The output folder (created if needed).
    result : EvalResult

    Returns
    -------
    Path
        The pair's folder, ``OUT/<model>__<data>``.
    """
    folder = pair_folder(out, result)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "per_image.csv", per_image_csv(result))
    atomic_write_json(folder / "summary.json", summary_dict(result))
    title = f"{result.model_name} on {result.data_name} ({len(result.rows)} images)"
    atomic_write_bytes(folder / "boxplot.png", boxplot_png(result.rows, title=title))
    return folder


def matrix(
    results: Sequence[EvalResult], key: str = "length_score"
) -> tuple[list[str], list[str], np.ndarray]:
    """Models x data sets matrix of a summary value.

    Returns
    -------
    models, datasets : list of str
        Names in order of first appearance in ``results``.
    values : ndarray (len(models), len(datasets))
        ``result.summary[key]``; NaN where a pair has no result.

    Raises
    ------
    ValueError
        If a (model, data set) pair appears twice or a summary lacks ``key``.
    """
    models = list(dict.fromkeys(r.model_name for r in results))
    datasets = list(dict.fromkeys(r.data_name for r in results))
    values = np.full((len(models), len(datasets)), np.nan)
    seen = set()
    for r in results:
        pair = (r.model_name, r.data_name)
        if pair in seen:
            raise ValueError(f"results: pair {pair} appears twice")
        if key not in r.summary:
            raise ValueError(f"results: summary of {pair} lacks {key!r}")
        seen.add(pair)
        values[models.index(r.model_name), datasets.index(r.data_name)] = r.summary[key]
    return models, datasets, values


def _markdown_table(models, datasets, values) -> str:
    lines = [
        "| model | " + " | ".join(datasets) + " |",
        "|---|" + "---:|" * len(datasets),
    ]
    for name, row in zip(models, values, strict=True):
        cells = ["-" if math.isnan(v) else f"{v:.3f}" for v in row]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_matrix(out: str | os.PathLike, results: Sequence[EvalResult]) -> list[Path]:
    """Write ``matrix.csv``, ``matrix.md`` and ``matrix.png`` for all pairs.

    Rows are models, columns data sets, in order of first appearance.

    Returns
    -------
    list of Path
        The three files written.

    Raises
    ------
    ValueError
        If ``results`` is empty or a pair appears twice.
    """
    if not results:
        raise ValueError("results is empty; nothing to tabulate")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    models, datasets, values = matrix(results, "length_score")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["model", *datasets])
    for name, row in zip(models, values, strict=True):
        writer.writerow([name, *("" if math.isnan(v) else _cell(v) for v in row)])
    csv_path = atomic_write_text(out / "matrix.csv", buf.getvalue())

    sections = ["# Evaluation matrix", "", "Rows: models; columns: data sets.", ""]
    for key, heading in MATRIX_TABLES.items():
        sections += [f"## {heading}", "", _markdown_table(*matrix(results, key)), ""]
    md_path = atomic_write_text(out / "matrix.md", "\n".join(sections))
    png_path = atomic_write_bytes(out / "matrix.png", matrix_png(values, models, datasets))
    return [csv_path, md_path, png_path]


def format_table(results: Sequence[EvalResult]) -> str:
    """A compact text table, one line per pair, for the terminal."""
    header = ("model", "data", "images", "failed", "length", "F1", "dup.rate", "clDice")
    lines = [
        (
            r.model_name,
            r.data_name,
            str(len(r.rows)),
            str(len(r.failed)),
            *(f"{r.summary[k]:.3f}" for k in ("length_score", "f1", "duplicate_rate", "cl_dice")),
        )
        for r in results
    ]
    widths = [max(len(x) for x in column) for column in zip(header, *lines, strict=True)]

    def fmt(cells):
        return "  ".join(
            c.ljust(w) if k < 2 else c.rjust(w)
            for k, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join(fmt(cells) for cells in (header, *lines))
