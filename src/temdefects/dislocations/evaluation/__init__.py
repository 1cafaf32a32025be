"""Evaluating trained models on generated data sets (Govind et al. 2023, section 6.2).

- :func:`evaluate_model`: one model on one data folder -> :class:`EvalResult`
  (per-image metrics, their aggregate, failed samples).
- :func:`write_pair`: ``per_image.csv``, ``summary.json`` and ``boxplot.png``
  (score per number of dislocations, Fig. 9b) of one (model, data) pair.
- :func:`write_matrix`: ``matrix.csv``, ``matrix.md`` and ``matrix.png``
  (models x data sets heat map, Fig. 9a) of many pairs.
"""

from temdefects.dislocations.evaluation.plots import boxplot_png, group_by_count, matrix_png
from temdefects.dislocations.evaluation.report import (
    ROW_COLUMNS,
    format_table,
    matrix,
    pair_folder,
    write_matrix,
    write_pair,
)
from temdefects.dislocations.evaluation.run import (
    EvalResult,
    curve_masks,
    evaluate_model,
    list_samples,
    unique_names,
)

__all__ = [
    "ROW_COLUMNS",
    "EvalResult",
    "boxplot_png",
    "curve_masks",
    "evaluate_model",
    "format_table",
    "group_by_count",
    "list_samples",
    "matrix",
    "matrix_png",
    "pair_folder",
    "unique_names",
    "write_matrix",
    "write_pair",
]
