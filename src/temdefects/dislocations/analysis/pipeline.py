"""One frame through the model: scaling policy, inference, post-processing.

Size policy (never a silent crop): the network is fully convolutional, so a
frame is analysed whole, padded by reflection to a multiple of 32. Frames whose
longer side exceeds ``max_side`` px are first downscaled to that size (area
interpolation) and the curves are scaled back, so every coordinate and length
is reported in pixels of the original frame (with the resolution of the
downscaled frame: at a factor of 1/4 lengths come out about 4 % long, as the
pixel staircase of the skeleton is magnified); ``scale`` resamples every frame by
a fixed factor first (to match the pixel size the model was trained at).
Intensities are clipped to the 0.5/99.5 percentiles (hot pixels, saturated
areas) before the model's own per-image standardisation.

Background flattening (``flatten``, beyond the paper): real frames carry
illumination that varies over the field of view (vignetting, bend contours,
thickness), which synthetic training images lack; the network input is the
frame minus its Gaussian blur of std ``flatten`` px (a high-pass that keeps
lines a few px wide), clipped to its percentiles again. Measured with the
shipped model (issue 5): recall of the labelled ``twip-8um`` dislocations
0.052 -> 0.305 at 30 px, and lines found in the ``sandfeld-samples`` frames
(none without); unchanged on generated Perlin test sets. ``flatten = 0`` feeds
the frame as it is (the paper's input).

Local contrast (``contrast = "local"``, issue 16): in-situ frames hold areas of
very different brightness (a bend contour, a thick region), and a line in a
dark area has proportionally less contrast after flattening. With ``"local"``
the flattened frame is also divided by its local RMS (Gaussian of the same
std, plus a floor of 0.02 of the frame's range), so that lines in dark and
bright areas reach the network at the same contrast. Models adapted with it
(``temdefects adapt``) store it in their record, and ``analyze`` uses it for
them (:func:`model_contrast`); ``"global"`` (the default) is the plain
flattening above.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from temdefects.dislocations.analysis.postprocess import (
    Dislocation,
    PostprocessOptions,
    postprocess,
)
from temdefects.io.images import prepare_image

#: Default std (px) of the background removed before inference (see the module docstring).
DEFAULT_FLATTEN = 30.0
#: Input contrast normalisations (see the module docstring).
CONTRASTS = ("global", "local")
#: Floor of the local RMS in ``"local"`` contrast, in units of the frame's [0, 1] range.
LOCAL_RMS_FLOOR = 0.02
#: Resampling factors (`--scale`) analyze accepts.
SCALE_RANGE = (0.05, 20.0)


@dataclass(frozen=True)
class AnalysisOptions:
    postprocess: PostprocessOptions = field(default_factory=PostprocessOptions)
    max_side: int = 2048
    scale: float = 1.0
    flatten: float = DEFAULT_FLATTEN
    flips: bool = False  # average over mirror images (one-mask models only)
    contrast: str = "global"  # or "local": flattened frame / its local RMS

    def __post_init__(self):
        check_flatten(self.flatten)
        check_contrast(self.contrast)
        if self.max_side < 32:
            raise ValueError(f"max_side: must be >= 32, got {self.max_side}")
        lo, hi = SCALE_RANGE
        if not lo <= self.scale <= hi:
            raise ValueError(f"scale: must be in [{lo:g}, {hi:g}], got {self.scale}")


@dataclass(frozen=True, eq=False)
class FrameResult:
    """Dislocations of one frame, in pixels of the original frame."""

    name: str
    source: str
    index: int
    shape: tuple[int, int]
    pixel_size: float | None  # nm per pixel
    factor: float  # resampling factor applied before inference
    dislocations: list[Dislocation]
    image: np.ndarray  # the frame scaled to [0, 1], for overlays


def check_flatten(sigma: float) -> float:
    """``sigma`` if it is a valid ``flatten`` (0 to 10000 px), else ValueError naming it."""
    if not 0 <= sigma <= 10_000:
        raise ValueError(f"flatten: must be in [0, 10000] px, got {sigma}")
    return sigma


def check_contrast(contrast: str) -> str:
    """``contrast`` if it is one of :data:`CONTRASTS`, else ValueError naming it."""
    if contrast not in CONTRASTS:
        raise ValueError(f"contrast: must be one of {', '.join(CONTRASTS)}, got {contrast!r}")
    return contrast


def model_contrast(record: dict, given: str | None) -> str:
    """The user's ``contrast``, else the one the model's record stores, else ``"global"``.

    Examples
    --------
    >>> model_contrast({"input": {"contrast": "local"}}, None)
    'local'
    >>> model_contrast({"input": {"contrast": "local"}}, "global")
    'global'
    >>> model_contrast({}, None)
    'global'
    """
    if given is not None:
        return check_contrast(given)
    return check_contrast((record.get("input") or {}).get("contrast") or "global")


def _input_number(record: dict, key: str, default: float, bounds: tuple, unit: str = ""):
    """``record["input"][key]`` (else ``default``) as a float within ``bounds``."""
    value = (record.get("input") or {}).get(key, default)
    lo, hi = bounds
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise ValueError(f"{key}: must be a number in [{lo:g}, {hi:g}]{unit}, got {value!r}")
    return float(value)


def model_flatten(record: dict, given: float | None) -> float:
    """The user's ``flatten``, else the model record's, else :data:`DEFAULT_FLATTEN`.

    A network trained on generated frames as drawn records ``0`` and so gets
    real frames unflattened; one trained on flattened labelled frames records
    their value.

    >>> model_flatten({"input": {"flatten": 0}}, None), model_flatten({"input": {"flatten": 0}}, 12)
    (0.0, 12.0)
    >>> model_flatten({}, None)
    30.0
    """
    if given is not None:
        return float(check_flatten(given))
    return _input_number(record, "flatten", DEFAULT_FLATTEN, (0, 10_000), " px")


def model_scale(record: dict, given: float | None) -> float:
    """The user's ``scale``, else the one the model's record stores, else 1.

    A model adapted with ``temdefects adapt --scale 2`` learnt frames resampled
    twice as large, and is run on them the same way.

    Examples
    --------
    >>> model_scale({"input": {"scale": 2}}, None), model_scale({"input": {"scale": 2}}, 1.5)
    (2.0, 1.5)
    >>> model_scale({}, None)
    1.0
    """
    if given is not None:
        return float(given)
    return _input_number(record, "scale", 1.0, SCALE_RANGE)


def resampled_shape(shape: tuple[int, ...], factor: float) -> tuple[int, int]:
    """(height, width) of a ``shape[:2]`` image resampled by ``factor``; each side >= 8 px.

    Examples
    --------
    >>> resampled_shape((362, 700), 2.0), resampled_shape((20, 30), 0.1)
    ((724, 1400), (8, 8))
    """
    return max(8, round(shape[0] * factor)), max(8, round(shape[1] * factor))


def resampled(image: np.ndarray, factor: float) -> np.ndarray:
    """``image`` resampled by ``factor`` as :func:`analyze_image` feeds it to the network.

    Area interpolation when shrinking, cubic when enlarging, clipped to [0, 1];
    each side at least 8 px. Boolean masks use nearest neighbours.
    """
    if factor == 1.0:
        return image
    size = resampled_shape(image.shape, factor)[::-1]  # OpenCV wants (width, height)
    if image.dtype == bool:
        return cv2.resize(image.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return np.clip(cv2.resize(image, size, interpolation=interp), 0.0, 1.0)


def flatten_background(unit: np.ndarray, sigma: float, contrast: str = "global") -> np.ndarray:
    """``unit`` minus its Gaussian blur of std ``sigma`` px, rescaled by :func:`prepare_image`.

    With ``contrast="local"`` the difference is divided by its local RMS (a
    Gaussian of the same std) plus :data:`LOCAL_RMS_FLOOR` first.
    ``sigma <= 0`` returns ``unit`` unchanged.
    """
    check_contrast(contrast)
    if sigma <= 0:
        return unit
    unit = np.asarray(unit, np.float32)
    sigma = float(sigma)
    background = cv2.GaussianBlur(
        unit, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT
    )
    detail = unit - background
    if contrast == "local":
        power = cv2.GaussianBlur(
            detail * detail, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT
        )
        detail = detail / (np.sqrt(power) + np.float32(LOCAL_RMS_FLOOR))
    return prepare_image(detail)


def model_input(
    image: np.ndarray, flatten: float, contrast: str = "global"
) -> tuple[np.ndarray, np.ndarray]:
    """The frame in [0, 1] (for overlays) and the network's input (flattened)."""
    unit = prepare_image(image)
    return unit, flatten_background(unit, flatten, contrast)


def resample_factor(shape: tuple[int, int], options: AnalysisOptions) -> float:
    factor = options.scale
    longest = max(shape) * factor
    if longest > options.max_side:
        factor *= options.max_side / longest
    return factor


def analyze_image(
    model,
    image: np.ndarray,
    *,
    options: AnalysisOptions | None = None,
    name: str = "image",
    source: str = "",
    index: int = 0,
    pixel_size: float | None = None,
) -> FrameResult:
    """Dislocations in one 2D image (any size, any numeric type)."""
    from temdefects.models import predict

    opt = options or AnalysisOptions()
    unit, work = model_input(image, opt.flatten, opt.contrast)
    factor = resample_factor(unit.shape, opt)
    work = resampled(work, factor)
    probs, obj = predict(model, work, flips=opt.flips)
    found = postprocess(probs, objectness=obj, options=opt.postprocess)
    if factor != 1.0:
        fx = unit.shape[1] / work.shape[1]
        fy = unit.shape[0] / work.shape[0]
        found = [_rescaled(d, fx, fy) for d in found]
    return FrameResult(
        name=name,
        source=source,
        index=index,
        shape=unit.shape,
        pixel_size=pixel_size,
        factor=factor,
        dislocations=found,
        image=unit,
    )


def _rescaled(d: Dislocation, fx: float, fy: float) -> Dislocation:
    from temdefects.geometry import curve_stats

    # Pixel centres map as x' = (x + 0.5) * f - 0.5.
    pts = (d.points + 0.5) * np.array([fx, fy]) - 0.5
    st = curve_stats(pts)
    return replace(
        d,
        points=pts,
        length=float(st.length),
        mean_curvature=float(st.mean_abs_curvature),
        max_curvature=float(st.max_abs_curvature),
    )
