"""Files of a loop evaluation: JSON, CSV tables and the P/R/F1-against-IoU figure.

Written by :func:`write_evaluation` into one folder:

``evaluation.json``   everything (:meth:`LoopEvaluation.to_dict`)
``pr_table.csv``      P/R/F1 over the IoU and score grids (Fig. 4)
``per_image.csv``     class-agnostic scores per image at the chosen IoU
``confusion.csv``     true class x predicted class, with missed/spurious (Table 1)
``per_class.csv``     precision, recall and F1 per class (Table 2)
``summary.csv``       per class: count, diameter mean/std/sem, densities, for
                      predictions and truth (:func:`~temdefects.loops.table.write_summary_csv`)
``sizes.csv``         truth against prediction with relative errors (Table 3)
``pr_iou.png``        P/R/F1 against the IoU threshold at the chosen minimum score
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path

from temdefects.io.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from temdefects.loops.evaluate import LoopEvaluation
from temdefects.loops.table import write_summary_csv

__all__ = ["pr_iou_png", "write_evaluation", "write_rows"]


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def write_rows(path: str | os.PathLike, rows: Sequence[dict], columns: Sequence[str]) -> Path:
    """CSV of ``rows`` (dicts) with ``columns``, atomically; None is an empty cell."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_fmt(row.get(c)) for c in columns])
    return atomic_write_text(path, buf.getvalue())


def pr_iou_png(evaluation: LoopEvaluation) -> bytes:
    """PNG bytes: precision, recall and F1 against the IoU threshold (Fig. 4).

    Drawn at the evaluation's minimum score on a bare Agg figure (pyplot's
    global state is not touched).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = sorted(
        (r for r in evaluation.pr_table if r["score"] == evaluation.min_score),
        key=lambda r: r["iou"],
    )
    fig = Figure(figsize=(5.0, 3.6), dpi=100, layout="tight")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    iou = [r["iou"] for r in rows]
    for key, marker in (("precision", "o"), ("recall", "s"), ("f1", "^")):
        ax.plot(iou, [r[key] for r in rows], marker=marker, label=key)
    ax.axvline(evaluation.threshold, color="0.6", linestyle=":", linewidth=1)
    ax.set_xlabel("IoU threshold")
    ax.set_ylabel("score")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"{len(evaluation.images)} images, score >= {evaluation.min_score:g}", fontsize=10)
    ax.legend(loc="lower left", fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


def write_evaluation(out: str | os.PathLike, evaluation: LoopEvaluation) -> list[Path]:
    """Write the files listed in the module docstring into ``out`` (created if needed).

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = evaluation.to_dict()
    score_keys = ["n_pred", "n_true", "tp", "fp", "fn", "precision", "recall", "f1"]
    paths = [
        atomic_write_json(out / "evaluation.json", data),
        write_rows(out / "pr_table.csv", data["pr_table"], ["score", "iou", *score_keys]),
        write_rows(out / "per_image.csv", data["per_image"], ["image", *score_keys]),
    ]
    cm = evaluation.confusion
    cm_rows = [
        {"true": r, **dict(zip(cm.columns, c, strict=True))}
        for r, c in zip(cm.rows, cm.counts, strict=True)
    ]
    paths.append(write_rows(out / "confusion.csv", cm_rows, ["true", *cm.columns]))
    per_class = [{"class": k, **v} for k, v in evaluation.per_class.items()]
    paths.append(
        write_rows(
            out / "per_class.csv",
            per_class,
            ["class", "n_true", "n_pred", "tp", "precision", "recall", "f1"],
        )
    )
    paths.append(
        write_summary_csv(out / "summary.csv", [*evaluation.sizes_truth, *evaluation.sizes_pred])
    )
    sizes = list(evaluation.sizes)
    paths.append(write_rows(out / "sizes.csv", sizes, list(sizes[0]) if sizes else ["class"]))
    paths.append(atomic_write_bytes(out / "pr_iou.png", pr_iou_png(evaluation)))
    return paths
