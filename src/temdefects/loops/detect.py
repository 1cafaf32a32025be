"""One image through the loop pipeline: detect boxes (Module A), fit ellipses (Module B).

1. The detector (:mod:`temdefects.loops.detector`) finds boxes and classes at
   its working scale; boxes come back in px of the input image.
2. Boxes below the score threshold are dropped (default: the model's own,
   chosen on validation images when it was trained).
3. Within each box the defect is segmented by watershed and an ellipse fitted
   (:func:`temdefects.loops.geometry.fit_defects`), on the full-resolution
   image.
"""

from __future__ import annotations

import numpy as np

from temdefects.loops.defects import Defects
from temdefects.loops.detector import run_detector
from temdefects.loops.geometry import fit_defects
from temdefects.loops.model import LoopModel

__all__ = ["detect_defects"]


def detect_defects(
    model: LoopModel,
    image: np.ndarray,
    *,
    min_score: float | None = None,
    polarity: str = "auto",
    factor: float | str | None = None,
) -> tuple[Defects, str]:
    """Defects of one greyscale image with boxes, classes, ellipses and scores.

    Parameters
    ----------
    model : LoopModel
        From :func:`temdefects.loops.model.load_loop_model`.
    image : ndarray (H, W)
        Any numeric dtype.
    min_score : float, optional
        Lowest score kept; default the model's ``score_threshold``.
    polarity : {"auto", "dark", "bright"}
        Contrast of the defects for the ellipse fit.
    factor : float or "auto", optional
        Resampling before detection; default: the model's ``scale`` rule
        (``"auto"``: chosen from the image, :mod:`temdefects.loops.tiling`;
        ``"longer-side"``: longer side to the model's ``input_size``).

    Returns
    -------
    defects : Defects
        In px of ``image``; ellipses from Module B.
    polarity : str
        The polarity used (decided from the boxes when ``"auto"``).

    Raises
    ------
    ValueError
        For an image that is not 2D or smaller than 8x8 px, or a bad polarity.
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"expected a 2D greyscale image, got shape {image.shape}")
    if not np.isfinite(image).all():
        image = np.nan_to_num(image.astype(np.float32))
    threshold = model.score_threshold if min_score is None else float(min_score)
    if factor is None and model.config.scale == "auto":
        factor = "auto"
    boxes, labels, scores = run_detector(
        model.net,
        model.config,
        image,
        min_score=threshold,
        factor=factor,
        decide_score=model.score_threshold,
    )
    h, w = image.shape
    x0 = np.clip(boxes[:, 0], 0, w)
    y0 = np.clip(boxes[:, 1], 0, h)
    x1 = np.clip(boxes[:, 0] + boxes[:, 2], 0, w)
    y1 = np.clip(boxes[:, 1] + boxes[:, 3], 0, h)
    keep = (x1 - x0 > 0.5) & (y1 - y0 > 0.5)
    boxes = np.stack([x0, y0, x1 - x0, y1 - y0], 1)[keep].reshape(-1, 4)
    classes = [model.config.classes[i] for i in labels[keep]]
    if not len(boxes):
        return Defects.from_lists([], []), polarity if polarity != "auto" else "dark"
    geom = fit_defects(image, boxes, classes, polarity=polarity)
    return (
        Defects.from_lists(boxes, classes, ellipses=geom.ellipses, scores=scores[keep]),
        geom.polarity,
    )
