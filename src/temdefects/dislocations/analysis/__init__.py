"""Analysis of real micrographs: predict -> instances -> curves -> tables, plots, exports."""

from temdefects.dislocations.analysis.pipeline import AnalysisOptions, FrameResult, analyze_image
from temdefects.dislocations.analysis.postprocess import (
    Dislocation,
    PostprocessOptions,
    postprocess,
)

__all__ = [
    "AnalysisOptions",
    "Dislocation",
    "FrameResult",
    "PostprocessOptions",
    "analyze_image",
    "postprocess",
]
