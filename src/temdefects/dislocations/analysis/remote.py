"""One frame's analysis as a picklable task, for local processes or Dask workers.

A worker loads each model folder once and keeps it for the frames that follow
(a per-process cache: loading costs seconds, a frame a fraction of that).
"""

from __future__ import annotations

from temdefects.dislocations.analysis.pipeline import AnalysisOptions, FrameResult, analyze_image

__all__ = ["analyze_task"]

_MODELS: dict = {}


def _model(path: str):
    if path not in _MODELS:
        import torch

        from temdefects.models import load

        torch.set_num_threads(1)  # one frame per worker process: threads would only compete
        _MODELS[path] = load(path)
    return _MODELS[path]


def analyze_task(model_path: str, image, options: AnalysisOptions, **frame) -> FrameResult:
    """:func:`~.pipeline.analyze_image` with the model at ``model_path``.

    ``frame`` holds ``name``, ``source``, ``index`` and ``pixel_size``.
    """
    return analyze_image(_model(model_path), image, options=options, **frame)
