"""Size and shape of the defect inside each detected box ("Module B" of Shen et al. 2021).

Each box, padded a little so that it holds background on every side, is
segmented with a marker-based watershed (scikit-image) on the gradient of the
smoothed crop: background markers are the crop's border and the pixels close
to the background level, foreground markers the pixels inside the box close
to the defect's extreme intensity. The kept foreground (components lying
mostly inside the box) is closed into its convex hull, so an open ring or a
broken arc gives the loop's outer outline, and an ellipse is fitted to that
outline with :func:`cv2.fitEllipse`. With fewer than five outline points the
ellipse comes from the region's second moments; when nothing stands out of
the background the ellipse inscribed in the box is returned.

Ellipses follow :mod:`temdefects.loops.defects`: ``(x, y, major, minor,
angle)``, full axis lengths in px, pixel centres at integers, angle in
degrees from x towards y in ``[0, 180)``. With semi-axes ``a = major / 2`` and
``b = minor / 2`` the paper defines the diameter as ``2a`` for loops and
``2 sqrt(ab)`` for black dots, and the area as ``pi a b``; the areal density
is the summed defect area of a set of images over their summed area.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage.filters import gaussian, sobel
from skimage.segmentation import watershed

from temdefects.loops.defects import check_classes

__all__ = [
    "POLARITIES",
    "DefectGeometry",
    "areal_density",
    "defect_area",
    "defect_diameter",
    "detect_polarity",
    "ellipse_from_moments",
    "ellipse_from_points",
    "fit_defects",
    "px_to_nm",
]

POLARITIES = ("auto", "dark", "bright")

# Normalised signal (0 = background level, 1 = the defect's extreme) below
# which a pixel is a background marker, and above which (inside the box) a
# foreground marker. The watershed on the gradient places the edge between.
_BG_LEVEL = 0.25
_FG_LEVEL = 0.6
# A defect must stand this many noise standard deviations out of the border.
_MIN_SNR = 3.0


@dataclass(frozen=True, eq=False)
class DefectGeometry:
    """Result of :func:`fit_defects`.

    Attributes
    ----------
    ellipses : ndarray (N, 5)
        ``x, y, major, minor, angle`` per defect (px, degrees).
    diameter, area : ndarray (N,)
        Paper's diameter (px) and ``pi a b`` (px^2) per defect.
    method : tuple of str
        How each ellipse was found: ``"ellipse"`` (cv2.fitEllipse on the
        outline), ``"moments"`` (second moments of a tiny region) or ``"box"``
        (nothing segmented: the ellipse inscribed in the box).
    polarity : str
        ``"dark"`` or ``"bright"``: the contrast of the defects that was used.
    """

    ellipses: np.ndarray
    diameter: np.ndarray
    area: np.ndarray
    method: tuple[str, ...]
    polarity: str


def defect_diameter(
    major: np.ndarray | Sequence[float],
    minor: np.ndarray | Sequence[float],
    classes: Sequence[str],
) -> np.ndarray:
    """Paper's diameter per defect: ``major`` for loops, ``sqrt(major * minor)`` for dots.

    Parameters
    ----------
    major, minor : array_like (N,)
        Full axis lengths (``2a``, ``2b``).
    classes : sequence of str
        Class per defect (``loop111``, ``loop100`` or ``dot``).

    Returns
    -------
    ndarray (N,) float64, in the unit of the axes.

    Examples
    --------
    >>> defect_diameter([10.0, 10.0], [4.0, 2.5], ["loop111", "dot"]).tolist()
    [10.0, 5.0]
    """
    major = np.asarray(major, np.float64).reshape(-1)
    minor = np.asarray(minor, np.float64).reshape(-1)
    classes = check_classes(classes)
    if not (len(major) == len(minor) == len(classes)):
        raise ValueError(
            f"defect_diameter: {len(major)} major, {len(minor)} minor and {len(classes)} classes"
        )
    is_dot = np.array([c == "dot" for c in classes], bool)
    return np.where(is_dot, np.sqrt(np.abs(major * minor)), major)


def defect_area(
    major: np.ndarray | Sequence[float], minor: np.ndarray | Sequence[float]
) -> np.ndarray:
    """Ellipse area ``pi a b = pi major minor / 4`` per defect.

    Examples
    --------
    >>> round(float(defect_area([2.0], [2.0])[0]), 6)
    3.141593
    """
    major = np.asarray(major, np.float64).reshape(-1)
    minor = np.asarray(minor, np.float64).reshape(-1)
    return np.pi * major * minor / 4.0


def areal_density(
    areas: np.ndarray | Sequence[float], image_areas: np.ndarray | Sequence[float]
) -> float:
    """Summed defect area over summed image area of a set of images (Shen et al. 2021).

    Parameters
    ----------
    areas : array_like
        Areas of all defects of the set (any shape; NaN entries are skipped).
    image_areas : array_like
        Area of each image of the set, in the same unit, positive.

    Returns
    -------
    float
        The covered fraction (dimensionless).

    Raises
    ------
    ValueError
        If there is no image or an image area is not positive.

    Examples
    --------
    >>> areal_density([10.0, 30.0], [100.0, 100.0])
    0.2
    """
    image_areas = np.asarray(image_areas, np.float64).reshape(-1)
    if image_areas.size == 0 or not (image_areas > 0).all():
        raise ValueError("areal_density: need at least one image, every image area > 0")
    areas = np.asarray(areas, np.float64).reshape(-1)
    return float(np.nansum(areas) / image_areas.sum())


def px_to_nm(values: np.ndarray | float, pixel_size: float, *, power: int = 1) -> np.ndarray:
    """Convert lengths (``power=1``), areas (2) or densities (-2) from px to nm.

    Examples
    --------
    >>> px_to_nm(10.0, 0.5).item(), px_to_nm(4.0, 0.5, power=2).item()
    (5.0, 1.0)
    """
    if not pixel_size > 0 or not np.isfinite(pixel_size):
        raise ValueError(f"px_to_nm: pixel_size must be a positive number of nm, got {pixel_size}")
    return np.asarray(values, np.float64) * float(pixel_size) ** power


def _normalise(centre, axes, angle) -> tuple[float, float, float, float, float]:
    """OpenCV's rotated rectangle -> ``(x, y, major, minor, angle of major in [0, 180))``."""
    w, h = float(axes[0]), float(axes[1])
    if h > w:
        w, h, angle = h, w, angle + 90.0
    return float(centre[0]), float(centre[1]), w, h, float(angle % 180.0)


def ellipse_from_moments(mask: np.ndarray) -> tuple[float, float, float, float, float] | None:
    """The ellipse with the area-normalised second moments of a binary region.

    Each pixel counts as a unit square (variance 1/12 added per axis), so a
    single pixel gives a circle of about one pixel's size.

    Returns
    -------
    ``(x, y, major, minor, angle)`` in the mask's pixel-centre coordinates,
    or None for an empty mask.

    Examples
    --------
    >>> m = np.zeros((9, 9), bool); m[4, 1:8] = True
    >>> [round(v, 2) for v in ellipse_from_moments(m)]
    [4.0, 4.0, 8.08, 1.15, 0.0]
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"ellipse_from_moments: expected a 2D mask, got shape {mask.shape}")
    m = cv2.moments(mask.astype(np.uint8), binaryImage=True)
    if m["m00"] == 0:
        return None
    cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]
    cov = np.array([[m["mu20"], m["mu11"]], [m["mu11"], m["mu02"]]]) / m["m00"]
    cov += np.eye(2) / 12.0
    evals, evecs = np.linalg.eigh(cov)
    major, minor = 4.0 * np.sqrt(evals[1]), 4.0 * np.sqrt(evals[0])
    angle = np.degrees(np.arctan2(evecs[1, 1], evecs[0, 1])) % 180.0
    if abs(major - minor) < 1e-9:
        angle = 0.0
    return float(cx), float(cy), float(major), float(minor), float(angle % 180.0)


def ellipse_from_points(points: np.ndarray) -> tuple[float, float, float, float, float] | None:
    """:func:`cv2.fitEllipse` on (P, 2) ``x, y`` outline points, normalised.

    Returns
    -------
    ``(x, y, major, minor, angle)``, or None with fewer than five points or a
    degenerate fit (non-finite or zero axes).
    """
    pts = np.asarray(points, np.float32).reshape(-1, 2)
    if len(pts) < 5:
        return None
    (cx, cy), axes, angle = cv2.fitEllipse(pts)
    ell = _normalise((cx, cy), axes, angle)
    if not np.isfinite(ell).all() or ell[3] <= 0:
        return None
    return ell


def _crop_bounds(box, pad_fraction: float, shape) -> tuple[int, int, int, int, tuple]:
    """Padded crop ``(r0, r1, c0, c1)`` and the box's slice inside it."""
    bx, by, w, h = (float(v) for v in box)
    pad = max(2, int(np.ceil(pad_fraction * max(w, h))))
    x0, y0 = int(np.floor(bx)), int(np.floor(by))
    x1, y1 = int(np.ceil(bx + w)), int(np.ceil(by + h))  # exclusive
    rows, cols = shape
    r0, r1 = max(y0 - pad, 0), min(y1 + pad, rows)
    c0, c1 = max(x0 - pad, 0), min(x1 + pad, cols)
    inner = (
        slice(min(max(y0 - r0, 0), r1 - r0), max(min(y1 - r0, r1 - r0), 0)),
        slice(min(max(x0 - c0, 0), c1 - c0), max(min(x1 - c0, c1 - c0), 0)),
    )
    return r0, r1, c0, c1, inner


def _border(a: np.ndarray) -> np.ndarray:
    frame = np.zeros(a.shape, bool)
    frame[0, :] = frame[-1, :] = frame[:, 0] = frame[:, -1] = True
    return frame


def _smooth(crop: np.ndarray, sigma: float) -> np.ndarray:
    return gaussian(crop, sigma=sigma, preserve_range=True) if sigma > 0 else crop


def detect_polarity(
    image: np.ndarray, boxes: np.ndarray, *, pad: float = 0.25, sigma: float = 1.0
) -> str:
    """``"dark"`` or ``"bright"``: the contrast of the defects in the boxes, by majority.

    Per box, the deviation of the 5th and 95th intensity percentiles inside the
    box from the median of the padded crop's border is compared; the
    deviations are summed over the boxes and the larger side wins (ties and no
    boxes: ``"dark"``, bright-field contrast).
    """
    image = _check_image(image)
    boxes = _check_boxes(boxes)
    dark = bright = 0.0
    for box in boxes:
        r0, r1, c0, c1, inner = _crop_bounds(box, pad, image.shape)
        crop = _smooth(image[r0:r1, c0:c1], sigma)
        inside = crop[inner]
        if crop.size == 0 or inside.size == 0:
            continue
        bg = float(np.median(crop[_border(crop)]))
        lo, hi = np.percentile(inside, [5, 95])
        dark += max(bg - lo, 0.0)
        bright += max(hi - bg, 0.0)
    return "bright" if bright > dark else "dark"


def _segment(crop: np.ndarray, inner: tuple) -> np.ndarray | None:
    """Defect region of a crop whose defect is bright (None when nothing stands out)."""
    frame = _border(crop)
    bg_pixels = crop[frame]
    bg = float(np.median(bg_pixels))
    noise = 1.4826 * float(np.median(np.abs(bg_pixels - bg)))
    peak = float(np.percentile(crop[inner], 99))
    if peak - bg <= max(_MIN_SNR * noise, 1e-9 * max(abs(peak), 1.0)):
        return None
    t = (crop - bg) / (peak - bg)
    in_box = np.zeros(crop.shape, bool)
    in_box[inner] = True
    markers = np.zeros(crop.shape, np.int32)
    markers[(t < _BG_LEVEL) | frame] = 1
    markers[(t > _FG_LEVEL) & in_box & ~frame] = 2
    if not (markers == 2).any():
        return None
    fg = watershed(sobel(crop), markers) == 2
    labels, n = ndi.label(fg)
    if n == 0:
        return None
    idx = np.arange(1, n + 1)
    total = ndi.sum_labels(fg, labels, idx)
    inside = ndi.sum_labels(fg & in_box, labels, idx)
    keep = idx[inside >= 0.5 * total]
    if keep.size == 0:
        return None
    region = np.isin(labels, keep).astype(np.uint8)
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    hull = cv2.convexHull(np.concatenate(contours))
    cv2.fillPoly(region, [hull], 1)
    return region.astype(bool)


_THIN = 2.0  # px: regions whose moments ellipse is thinner are not fitted by cv2.fitEllipse


def _fit_one(region: np.ndarray, limit: float) -> tuple[tuple, str]:
    contours, _ = cv2.findContours(
        region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
    )
    points = np.concatenate(contours).reshape(-1, 2)
    moments = ellipse_from_moments(region)
    if moments[3] < _THIN:
        # cv2.fitEllipse on a nearly collinear outline is ill-posed: its result
        # then changes from call to call (measured: major 3-46 px for one
        # 1 px-wide region), so thin regions take the moments ellipse.
        return moments, "moments"
    ell = ellipse_from_points(points)
    if ell is not None and ell[2] <= min(limit, 2.0 * moments[2] + 2.0):
        return ell, "ellipse"
    return moments, "moments"


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"image must be a 2D greyscale array, got shape {image.shape}")
    if not (np.issubdtype(image.dtype, np.integer) or np.issubdtype(image.dtype, np.floating)):
        raise ValueError(f"image must be an integer or float array, got dtype {image.dtype}")
    return image.astype(np.float64, copy=False)


def _check_boxes(boxes: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes, np.float64)
    if boxes.size == 0:
        return boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"boxes must be (N, 4) x, y, width, height, got shape {boxes.shape}")
    if not np.isfinite(boxes).all() or (boxes[:, 2:] <= 0).any():
        raise ValueError("boxes must be finite with width and height > 0")
    return boxes


def fit_defects(
    image: np.ndarray,
    boxes: np.ndarray,
    classes: Sequence[str],
    *,
    polarity: str = "auto",
    pad: float = 0.25,
    sigma: float = 1.0,
) -> DefectGeometry:
    """Segment the defect in each box and fit an ellipse to it.

    Parameters
    ----------
    image : ndarray (H, W)
        Greyscale image, any integer or float dtype.
    boxes : ndarray (N, 4)
        ``x, y, width, height`` per box in px (``x`` = first column).
    classes : sequence of str
        Class per box (``loop111``, ``loop100``, ``dot``): sets the diameter rule.
    polarity : {"auto", "dark", "bright"}
        Contrast of the defects: dark on a bright background (bright-field
        TEM/STEM), bright on dark (dark-field, HAADF), or decided from the
        boxes by :func:`detect_polarity`.
    pad : float
        Padding of each box on every side, as a fraction of its longer side
        (at least 2 px), so that the crop holds background.
    sigma : float
        Standard deviation (px) of the Gaussian smoothing before segmentation;
        0 for none.

    Returns
    -------
    DefectGeometry
        Ellipses, diameters, areas, the method per defect and the polarity used.

    Raises
    ------
    ValueError
        For an image that is not 2D, malformed boxes, an unknown class or
        polarity, or a negative ``pad``/``sigma``.

    Examples
    --------
    >>> img = np.full((40, 40), 200, np.uint8)
    >>> _ = cv2.ellipse(img, (20, 20), (10, 5), 30, 0, 360, 40, -1)
    >>> g = fit_defects(img, [[8, 12, 25, 17]], ["loop100"], polarity="dark")
    >>> [round(float(v)) for v in g.ellipses[0]], g.method
    ([20, 20, 20, 11, 30], ('ellipse',))
    """
    image = _check_image(image)
    boxes = _check_boxes(boxes)
    classes = check_classes(classes)
    if len(classes) != len(boxes):
        raise ValueError(f"fit_defects: {len(boxes)} boxes but {len(classes)} classes")
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {', '.join(POLARITIES)}, got {polarity!r}")
    if not pad >= 0 or not sigma >= 0:
        raise ValueError(f"pad and sigma must be >= 0, got pad={pad}, sigma={sigma}")
    if polarity == "auto":
        polarity = detect_polarity(image, boxes, pad=pad, sigma=sigma)
    sign = -1.0 if polarity == "dark" else 1.0

    ellipses = np.zeros((len(boxes), 5))
    methods = []
    for i, box in enumerate(boxes):
        r0, r1, c0, c1, inner = _crop_bounds(box, pad, image.shape)
        region = None
        if r1 - r0 >= 3 and c1 - c0 >= 3 and image[r0:r1, c0:c1][inner].size:
            region = _segment(sign * _smooth(image[r0:r1, c0:c1], sigma), inner)
        if region is None:
            bx, by, w, h = box
            major, minor = max(w, h), min(w, h)
            ell, method = (
                (bx + w / 2 - 0.5, by + h / 2 - 0.5, major, minor, 0.0 if w >= h else 90.0),
                "box",
            )
        else:
            ell, method = _fit_one(region, limit=2.0 * np.hypot(*region.shape))
            ell = (ell[0] + c0, ell[1] + r0, *ell[2:])
        ellipses[i] = ell
        methods.append(method)
    return DefectGeometry(
        ellipses=ellipses,
        diameter=defect_diameter(ellipses[:, 2], ellipses[:, 3], classes),
        area=defect_area(ellipses[:, 2], ellipses[:, 3]),
        method=tuple(methods),
        polarity=polarity,
    )
