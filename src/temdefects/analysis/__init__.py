"""Analysis of real micrographs: predict -> instances -> curves -> tables, plots, exports."""

from temdefects.analysis.pipeline import AnalysisOptions, FrameResult, analyze_image
from temdefects.analysis.postprocess import Dislocation, PostprocessOptions, postprocess

__all__ = [
    "AnalysisOptions",
    "Dislocation",
    "FrameResult",
    "PostprocessOptions",
    "analyze_image",
    "postprocess",
]
