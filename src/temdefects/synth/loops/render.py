"""Rendering a loop scene: a pure function of the scene dict.

Every defect is drawn from the exact signed distance ``d`` of each nearby pixel
centre to its outer ellipse (:func:`~temdefects.synth.loops.ellipse.ellipse_distance`,
``d < 0`` inside). A style turns ``d`` into an anti-aliased coverage in [0, 1]
(a box filter of one pixel across every edge):

``ring``    one ring of width ``w`` just inside the ellipse, ``-w <= d <= 0``
``double``  that ring plus a second one ``gap`` px further in
``solid``   the ring as a rim, the interior darkened to ``fill`` of the rim
``dot``     the filled ellipse

An optional asymmetry fades the coverage on one side (``phase``) by up to
``asymmetry``; the coverage is then blurred by ``blur`` px (a soft blob,
``peak: true``, is then rescaled so its core keeps full coverage) and darkens
the image multiplicatively, ``I <- I * (1 - contrast * coverage)``, like the lines of the
dislocation generator. The instance mask is the filled outer ellipse (pixel
centres with ``d <= 0``, plus the centre pixel), the same footprint that
placement used; boxes are the tight boxes of the masks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from temdefects.errors import ConfigError
from temdefects.synth import draw
from temdefects.synth.background import gaussian
from temdefects.synth.curves import spline_through
from temdefects.synth.loops.ellipse import ellipse_distance, inside_mask, local_frame
from temdefects.synth.scene import draw_line, render_background

SCENE_FORMAT = "temdefects.synth.loops.scene/1"
STYLES = ("ring", "double", "solid", "dot")
LINE_SPACING = 1.0  # px between vertices of distractor dislocation lines


@dataclass(frozen=True)
class LoopSample:
    """A rendered loop image with its ground truth.

    Attributes
    ----------
    image : (H, W) uint8
    labels : list of K dicts, one per defect: ``class`` (loop111, loop100, dot),
        ``style`` (ring, double, solid, dot), ``ellipse`` ``[cx, cy, major,
        minor, angle_deg]`` of the outer edge (x = column, pixel centres at
        integers), ``box`` ``[x, y, w, h]`` of the mask in whole pixels
        (columns ``x .. x + w - 1``) and ``mask``, the index into ``masks``
    masks : (K, H, W) bool, the filled outer ellipse of each defect
    scene : the dict that :func:`render_loop_scene` rendered
    """

    image: np.ndarray
    labels: list
    masks: np.ndarray
    scene: dict = field(repr=False)


def _band(d: np.ndarray, centre: float, width: float) -> np.ndarray:
    """Coverage of a band of ``width`` centred on the level ``d = centre``."""
    return np.clip(width / 2.0 + 0.5 - np.abs(d - centre), 0.0, 1.0)


def coverage(defect: dict, d: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] of one defect from its signed distances ``d``.

    Parameters
    ----------
    defect
        A defect entry of a scene (see the module docstring for the styles).
    d
        Signed distance of each pixel centre to the outer ellipse, px.
    u, v
        The same pixels in the ellipse's frame (for the asymmetry).
    """
    style, w = defect["style"], defect["width"]
    inside = np.clip(0.5 - d, 0.0, 1.0)
    if style == "ring":
        cov = _band(d, -w / 2.0, w)
    elif style == "double":
        cov = np.maximum(_band(d, -w / 2.0, w), _band(d, -1.5 * w - defect["gap"], w))
    elif style == "solid":
        cov = np.maximum(defect["fill"] * inside, _band(d, -w / 2.0, w))
    elif style == "dot":
        cov = inside
    else:
        raise ConfigError(f"scene.defects.style: unknown style {style!r} (known: {STYLES})")
    asym = defect["asymmetry"]
    if asym > 0:
        theta = np.arctan2(v / (defect["minor"] / 2.0), u / (defect["major"] / 2.0))
        cov = cov * (1.0 - 0.5 * asym * (1.0 + np.cos(theta - np.radians(defect["phase"]))))
    return cov.astype(np.float32)


def ellipse_of(defect: dict) -> tuple:
    """``(cx, cy, a, b, angle)`` of a defect entry (semi-axes from the diameters)."""
    return (
        defect["cx"],
        defect["cy"],
        defect["major"] / 2.0,
        defect["minor"] / 2.0,
        defect["angle"],
    )


def draw_defect(image: np.ndarray, mask: np.ndarray, defect: dict) -> list | None:
    """Darken ``image`` by one defect and set its filled-ellipse ``mask``, in place.

    Returns
    -------
    The tight box ``[x, y, w, h]`` of the mask, or None when the defect misses
    the image.
    """
    ell = ellipse_of(defect)
    pad = int(np.ceil(3.0 * defect["blur"])) + 2
    frame = local_frame(ell, image.shape, pad)
    if frame is None:
        return None
    y0, x0, u, v = frame
    d = ellipse_distance(u, v, ell[2], ell[3])
    h, w = d.shape
    local = inside_mask(d, y0, x0, ell)
    mask[y0 : y0 + h, x0 : x0 + w] |= local
    cov = np.minimum(gaussian(coverage(defect, d, u, v), defect["blur"]), 1.0)
    if defect.get("peak", False) and cov.max() > 1e-6:
        cov = cov / cov.max()  # soft blob: full contrast at its core, however blurred
    image[y0 : y0 + h, x0 : x0 + w] *= 1.0 - np.float32(defect["contrast"]) * cov
    if not local.any():
        return None
    x, y, bw, bh = box_of(local)
    return [x + x0, y + y0, bw, bh]


def box_of(mask: np.ndarray) -> list:
    """Tight ``[x, y, w, h]`` of a non-empty 2D mask, in whole pixels."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise ValueError("box_of: empty mask")
    return [int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)]


def _draw_lines(image: np.ndarray, lines: list) -> None:
    scratch = np.zeros(image.shape, bool)  # distractors have no mask
    for line in lines:
        curve = spline_through(np.asarray(line["support"], float), spacing=LINE_SPACING)
        draw_line(
            image,
            scratch,
            curve,
            line,
            line,
            gaps=[],
            mask_width=1.0,
            gaps_in_mask=False,
            spacing=LINE_SPACING,
        )


def render_loop_scene(scene: dict, *, backgrounds: str | os.PathLike | None = None) -> LoopSample:
    """Render image, labels and masks of a loop scene (deterministic).

    Parameters
    ----------
    scene
        A dict from :func:`~temdefects.synth.loops.scene.sample_loop_scene` (or
        a record's ``scene``, possibly edited by hand).
    backgrounds
        Folder of the real background crops, for scenes that use them.

    Returns
    -------
    LoopSample

    Notes
    -----
    The background is computed with one BLAS thread, so the bytes do not depend
    on the machine's thread settings.

    Raises
    ------
    ConfigError
        For a scene of another format, or real backgrounds without a folder.
    """
    if scene.get("format") != SCENE_FORMAT:
        raise ConfigError(f"scene.format: expected {SCENE_FORMAT!r}, got {scene.get('format')!r}")
    shape = tuple(int(s) for s in scene["shape"])
    # Thread-count independent: temdefects.synth.perlin rounds its BLAS products
    # from float64, so a replay is exact whatever the BLAS threading.
    image = render_background(scene, backgrounds=backgrounds)
    art = scene["artifacts"]
    coords = draw.pixel_coords(shape) if draw.needs_coords(art) else None
    if art["grain_boundary"]:
        draw.draw_grain_boundary(image, art["grain_boundary"], coords)
    for particle in art["dirt"]:
        draw.draw_dirt(image, particle)
    _draw_lines(image, scene["dislocations"])

    defects = scene["defects"]
    masks = np.zeros((len(defects),) + shape, bool)
    labels = []
    for k, defect in enumerate(defects):
        box = draw_defect(image, masks[k], defect)
        if box is None:
            raise ConfigError(f"scene.defects[{k}]: the defect lies outside the image")
        labels.append(
            {
                "class": defect["class"],
                "style": defect["style"],
                "ellipse": [
                    defect["cx"],
                    defect["cy"],
                    defect["major"],
                    defect["minor"],
                    defect["angle"],
                ],
                "box": box,
                "mask": k,
            }
        )
    draw.shade(image, art, coords)
    if scene.get("invert", False):  # HAADF-like: bright defects on a dark background
        image = np.float32(1.0) - np.clip(image, 0.0, 1.0)
    if scene["noise"]:
        image = draw.add_noise(image, scene["noise"])
    out = (np.clip(image, 0.0, 1.0) * np.float32(255.0) + np.float32(0.5)).astype(np.uint8)
    out = draw.compressed(out, art)
    return LoopSample(image=out, labels=labels, masks=masks, scene=scene)
