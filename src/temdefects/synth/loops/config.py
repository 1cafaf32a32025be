"""Configuration of the synthetic dislocation-loop generator, with presets.

Lengths are in pixels, angles in degrees, contrasts are relative darkenings of
the local background. A value written as ``[min, max]`` is drawn uniformly per
use (per image or per defect); a single number fixes it. The presets
``default`` and ``loop111-steel`` are YAML files in
``temdefects/synth/loops/presets``. Background, artefacts (dirt, grain
boundary, vignetting) and imaging noise reuse the sections of the dislocation
generator (:mod:`temdefects.synth.config`). See ``docs/loops_synth.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from temdefects.schema import (
    Range,
    bool_field,
    choices_field,
    num_field,
    prob_field,
    rng_field,
    section_field,
    size_field,
    str_field,
    to_plain,
)
from temdefects.synth.config import (
    PROFILES,
    ArtifactConfig,
    BackgroundConfig,
    ConfigFamily,
    NoiseConfig,
)

CLASSES = ("loop111", "loop100", "dot")


def _count(hi: int, doc: str):
    return rng_field(0, hi, min=0, max=100000, integer=True, doc=doc)


def _diameter(lo: float, hi: float, doc: str):
    return rng_field(lo, hi, min=1.0, max=8192, doc=doc)


def _aspect(lo: float, hi: float):
    return rng_field(lo, hi, min=0.05, max=1.0, doc="minor / major axis ratio")


def _contrast(lo: float, hi: float):
    return rng_field(
        lo, hi, min=0.0, max=1.0, doc="darkening relative to the local background (1 = black)"
    )


def _blur(lo: float, hi: float):
    return rng_field(lo, hi, min=0.0, max=20.0, doc="std of the Gaussian blur of the drawing, px")


def _softness():
    return rng_field(
        0.0,
        0.0,
        min=0.0,
        max=2.0,
        doc="extra blur as a share of the minor diameter, for soft blobs as in bright-field "
        "images at low magnification (0 = none; drawn only when the upper end is > 0)",
    )


def _log_sizes():
    return bool_field(
        True, doc="draw diameters log-uniformly (more small defects) instead of uniformly"
    )


@dataclass(frozen=True)
class Loop111Config:
    """a0/2<111> loops: open ellipses, a single dark ring."""

    count: Range = _count(25, "loops per image (fewer when placement fails)")
    diameter: Range = _diameter(8, 60, "outer major-axis diameter, px")
    log_sizes: bool = _log_sizes()
    aspect: Range = _aspect(0.4, 1.0)
    ring_width: Range = rng_field(
        1.5, 4.0, min=0.3, max=100, doc="width of the ring, px (at most half the semi-minor axis)"
    )
    contrast: Range = _contrast(0.25, 0.6)
    blur: Range = _blur(0.4, 1.2)
    asymmetry: Range = rng_field(
        0.0,
        0.6,
        min=0.0,
        max=1.0,
        doc="relative loss of darkening on one side of the ring (0 = uniform ring)",
    )
    softness: Range = _softness()
    solid_probability: float = prob_field(
        0.0,
        doc="chance a loop is drawn as a filled dark blob with a rim (unresolved ring, strong "
        "strain contrast) rather than an open ring; drawn only when > 0",
    )
    fill: Range = rng_field(
        0.5, 1.0, min=0.0, max=1.0, doc="darkening inside a filled loop relative to its rim"
    )


@dataclass(frozen=True)
class Loop100Config:
    """a0<100> loops: a double ring or a solid ellipse, often elongated."""

    count: Range = _count(12, "loops per image (fewer when placement fails)")
    diameter: Range = _diameter(8, 50, "outer major-axis diameter, px")
    log_sizes: bool = _log_sizes()
    aspect: Range = _aspect(0.15, 0.9)
    double_probability: float = prob_field(
        0.4, doc="chance of a double ring (else a solid ellipse); small loops are always solid"
    )
    ring_width: Range = rng_field(
        1.5, 3.5, min=0.3, max=100, doc="width of each ring, or of the rim of a solid loop, px"
    )
    ring_gap: Range = rng_field(
        2.0, 4.0, min=0.5, max=100, doc="distance between the two rings of a double ring, px"
    )
    fill: Range = rng_field(
        0.5, 1.0, min=0.0, max=1.0, doc="darkening inside a solid loop relative to its rim"
    )
    contrast: Range = _contrast(0.3, 0.7)
    blur: Range = _blur(0.4, 1.2)
    asymmetry: Range = rng_field(
        0.0, 0.4, min=0.0, max=1.0, doc="relative loss of darkening on one side"
    )
    softness: Range = _softness()


@dataclass(frozen=True)
class DotConfig:
    """Black dots: small closed solid dots."""

    count: Range = _count(40, "dots per image (fewer when placement fails)")
    diameter: Range = _diameter(2, 8, "major-axis diameter, px")
    log_sizes: bool = _log_sizes()
    aspect: Range = _aspect(0.7, 1.0)
    contrast: Range = _contrast(0.3, 0.8)
    blur: Range = _blur(0.3, 1.0)
    softness: Range = _softness()


@dataclass(frozen=True)
class OrientationConfig:
    """Directions of the major axes: uniform, or a few per image as in a real crystal."""

    preferred_probability: float = prob_field(
        0.5, doc="chance that an image's defects align with a few preferred directions"
    )
    directions: Range = rng_field(
        2, 4, min=1, max=36, integer=True, doc="preferred directions per image"
    )
    jitter: Range = rng_field(
        0.0, 8.0, min=0.0, max=90.0, doc="std of the deviation from a preferred direction, deg"
    )


@dataclass(frozen=True)
class PlacementConfig:
    """Random positions with limited overlap."""

    max_overlap: float = prob_field(
        0.1, doc="largest fraction of a new defect's mask that may cover earlier defects"
    )
    attempts: int = num_field(
        50, min=1, max=100000, integer=True, doc="positions tried per defect before dropping it"
    )
    inside: bool = bool_field(
        True, doc="keep defects wholly inside the image (false: cut by the border, centre inside)"
    )


@dataclass(frozen=True)
class DislocationConfig:
    """Line dislocations: distractors, never labelled."""

    count: Range = rng_field(0, 3, min=0, max=1000, integer=True, doc="lines per image")
    length: Range = rng_field(
        0.2, 0.9, min=0.01, max=4, doc="chord length as a fraction of the longer image side"
    )
    bow: Range = rng_field(0.0, 0.3, min=0.0, max=2.0, doc="bulge of the line, chord units")
    width: Range = rng_field(1.5, 4.0, min=0.3, max=100, doc="line width, px")
    contrast: Range = rng_field(0.2, 0.6, min=0.0, max=1.0, doc="darkening of the line")
    blur: Range = rng_field(0.3, 1.2, min=0.0, max=20, doc="std of the line blur, px")
    profiles: tuple = choices_field(
        ("gaussian", "realistic"), PROFILES, doc="line profiles to pick from per line"
    )
    halo: Range = rng_field(0.2, 0.5, min=0.0, max=1.0, doc="depth of the 'realistic' halo")


@dataclass(frozen=True)
class LoopSynthConfig:
    """Complete configuration of the dislocation-loop image generator."""

    name: str = str_field("custom", nullable=False, doc="label stored in records")
    size: tuple = size_field((512, 512), doc="image [height, width] in px")
    background: BackgroundConfig = section_field(BackgroundConfig)
    scale: Range = rng_field(
        1.0,
        1.0,
        min=0.05,
        max=20,
        doc="per-image magnification: multiplies every diameter, ring width and gap",
    )
    invert_probability: float = prob_field(
        0.0,
        doc="chance an image is inverted before noise (bright defects on a dark background, "
        "as in HAADF/ADF-STEM); drawn only when > 0",
    )
    loop111: Loop111Config = section_field(Loop111Config)
    loop100: Loop100Config = section_field(Loop100Config)
    dot: DotConfig = section_field(DotConfig)
    orientation: OrientationConfig = section_field(OrientationConfig)
    placement: PlacementConfig = section_field(PlacementConfig)
    dislocations: DislocationConfig = section_field(DislocationConfig)
    artifacts: ArtifactConfig = section_field(ArtifactConfig)
    noise: NoiseConfig = section_field(NoiseConfig)

    def to_dict(self) -> dict:
        """Plain JSON/YAML-compatible mapping (what records store)."""
        return to_plain(self)


LOOPS = ConfigFamily(LoopSynthConfig, "temdefects.synth.loops", "default")
list_loop_presets = LOOPS.presets
loop_preset_dict = LOOPS.preset_dict
loop_config_from_dict = LOOPS.from_dict
load_loop_config = LOOPS.load  # e.g. load_loop_config("default", overrides={"size": [128, 128]})
dump_loop_config = LOOPS.dump
