"""Configuration of the synthetic dislocation generator, with presets.

All lengths are in pixels, angles in degrees, contrasts are relative intensity
changes. A value written as ``[min, max]`` is drawn uniformly per use; a single
number fixes it. The presets ``m1``, ``m2`` and ``dense`` are YAML files in
``temdefects/synth/dislocations/presets``; ``temdefects synth --dump-config`` prints one for
editing. See ``docs/synth.md`` for the meaning of every parameter.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from temdefects.errors import ConfigError, InputFileError
from temdefects.schema import (
    Range,
    bool_field,
    choice_field,
    choices_field,
    deep_merge,
    num_field,
    parse_section,
    prob_field,
    rng_field,
    section_field,
    size_field,
    str_field,
    to_plain,
)

PROFILES = ("flat", "gaussian", "realistic")


@dataclass(frozen=True)
class PerlinConfig:
    """Equations (1)-(6) of Govind et al. with the ranges of their Table 1."""

    wavelength1: Range = rng_field(
        10,
        100,
        min=2,
        max=8192,
        doc="O1 of Table 1: lattice cell of the first Perlin field in px (its wavelength)",
    )
    wavelength2: Range = rng_field(
        10, 100, min=2, max=8192, doc="O2 of Table 1: lattice cell of the second Perlin field, px"
    )
    w_perlin: Range = rng_field(0.2, 0.4, min=0, max=10, doc="w_P, weight of P2 in eq. (1)")
    w_white: Range = rng_field(
        0.5, 0.7, min=0, max=10, doc="w_w1, weight of white noise X1, eq. (3)"
    )
    s1: Range = rng_field(1.0, 1.0, min=0, max=50, doc="std of Gaussian G1, eq. (4), px")
    noise_density: Range = rng_field(
        0.2,
        0.4,
        min=0,
        max=1,
        doc="r_noise of Table 1: fraction of pixels that receive the second white noise X2 "
        "(1.0 = dense white noise, the literal eq. (5))",
    )
    s2: Range = rng_field(0.6, 0.8, min=0, max=50, doc="std of Gaussian G2, eq. (6), px")
    octaves: int = num_field(
        1,
        min=1,
        max=8,
        integer=True,
        doc="Perlin octaves per field (1 = single wavelength, as the paper)",
    )


@dataclass(frozen=True)
class RealBackgroundConfig:
    """Section 3.2: two crops of real background images superimposed."""

    dir: str | None = str_field(None, doc="folder of background crops (PNG/TIFF/JPG)")
    opacity: Range = rng_field(0.2, 0.8, min=0, max=1, doc="opacity of the second crop")
    scale: Range = rng_field(
        0.5, 1.0, min=0.05, max=1, doc="crop side as a fraction of the source's shorter side"
    )
    flip: bool = bool_field(True, doc="random mirror of each crop")
    rotate90: bool = bool_field(True, doc="random multiple of 90 degrees for each crop")


@dataclass(frozen=True)
class BackgroundConfig:
    kind: str = choice_field("perlin", ("perlin", "real"), doc="perlin or real")
    perlin: PerlinConfig = section_field(PerlinConfig)
    real: RealBackgroundConfig = section_field(RealBackgroundConfig)
    low: Range = rng_field(
        0.0, 0.0, min=0, max=1, doc="grey level that background value 0 maps to (contrast range)"
    )
    high: Range = rng_field(
        1.0, 1.0, min=0, max=1, doc="grey level that background value 1 maps to"
    )

    def validate(self, path: str) -> None:
        if self.low.hi > self.high.lo:
            raise ConfigError(
                f"{path}.low: upper end {self.low.hi} exceeds the lower end of "
                f"{path}.high ({self.high.lo}); levels could invert"
            )


@dataclass(frozen=True)
class PileupConfig:
    """Pile-ups between pairs of slip traces (section 3.3)."""

    count: Range = rng_field(1, 4, min=0, max=100, integer=True, doc="pile-ups per image")
    directions: Range = rng_field(
        1, 3, min=1, max=100, integer=True, doc="distinct slip directions per image"
    )
    angle: Range = rng_field(
        0,
        180,
        min=-360,
        max=360,
        doc="alpha: direction of the slip traces, degrees from the x axis",
    )
    angle_jitter: Range = rng_field(
        0, 3, min=0, max=90, doc="deviation of a pile-up from its slip direction, degrees"
    )
    slip_width: Range = rng_field(
        60, 350, min=2, max=16384, doc="delta-d: distance between the two slip traces, px"
    )
    dislocations: Range = rng_field(
        1, 8, min=1, max=500, integer=True, doc="dislocations per pile-up"
    )
    spacing: Range = rng_field(
        8, 40, min=0.5, max=16384, doc="gap between the leading dislocation and the next, px"
    )
    spacing_growth: Range = rng_field(
        1.0, 1.3, min=0.2, max=5, doc="ratio of successive gaps (>1: pile-up law, wider behind)"
    )
    spacing_jitter: float = num_field(
        0.15, min=0, max=0.9, doc="relative random change of each gap"
    )
    margin: float = num_field(
        0.1, min=-1, max=0.5, doc="start points p0 lie inside the image shrunk by this fraction"
    )


@dataclass(frozen=True)
class ShapeConfig:
    """Line shape of each dislocation: a cubic spline through support points."""

    library: str | None = str_field(
        "builtin", doc="'builtin', a shape-library JSON path, or null for random shapes only"
    )
    library_probability: float = prob_field(
        0.5, doc="chance that a pile-up takes its base shape from the library"
    )
    support_points: Range = rng_field(
        5, 9, min=3, max=64, integer=True, doc="support points of a random shape"
    )
    bow: Range = rng_field(
        0.0, 0.35, min=0, max=2, doc="bulge of a random shape, in units of its chord length"
    )
    asymmetry: Range = rng_field(
        -0.3, 0.3, min=-0.45, max=0.45, doc="shift of the bulge apex along the chord (fraction)"
    )
    jitter: Range = rng_field(
        0.0, 0.03, min=0, max=1, doc="random deviation of each support point, chord units"
    )
    variation: Range = rng_field(
        0.0, 0.2, min=0, max=2, doc="per-dislocation relative change of the pile-up's bulge"
    )
    inclination: Range = rng_field(
        -40, 40, min=-80, max=80, doc="angle between the chord and the slip-plane normal, deg"
    )
    roughness: Range = rng_field(
        0.0, 0.8, min=0, max=20, doc="amplitude (std) of small-scale waviness, px"
    )
    roughness_length: Range = rng_field(
        4, 12, min=0.5, max=1000, doc="correlation length of the waviness along the line, px"
    )


@dataclass(frozen=True)
class MicrostructureConfig:
    max_dislocations: int = num_field(
        20, min=0, max=1000, integer=True, doc="cap on dislocations per image (N of the model)"
    )
    min_visible_length: float = num_field(
        15.0, min=0, max=100000, doc="dislocations with less length inside the image are dropped"
    )
    pileups: PileupConfig = section_field(PileupConfig)
    shape: ShapeConfig = section_field(ShapeConfig)
    discontinuous_probability: float = prob_field(
        0.1, doc="chance that a dislocation is drawn with gaps in its contrast"
    )
    gaps: Range = rng_field(1, 2, min=1, max=20, integer=True, doc="gaps of a discontinuous line")
    gap_length: Range = rng_field(4, 16, min=0.5, max=10000, doc="length of each gap, px")
    gaps_in_mask: bool = bool_field(
        False, doc="also cut the gaps out of the mask (default: the mask stays continuous)"
    )


@dataclass(frozen=True)
class SlipTraceConfig:
    """Slip traces: faint straight lines that are never part of any mask."""

    probability: float = prob_field(0.5, doc="chance that a pile-up's two traces are drawn")
    contrast: Range = rng_field(
        -0.12, 0.12, min=-1, max=1, doc="relative intensity change on a trace (<0 dark, >0 bright)"
    )
    width: Range = rng_field(1.0, 2.0, min=0.3, max=50, doc="trace line width, px")
    band_probability: float = prob_field(
        0.3, doc="chance that the band between the traces differs in brightness"
    )
    band_contrast: Range = rng_field(
        -0.1, 0.1, min=-1, max=1, doc="relative brightness change inside the slip band"
    )
    extra: Range = rng_field(
        0,
        2,
        min=0,
        max=200,
        integer=True,
        doc="additional traces with no dislocations (distractors)",
    )
    modulation_probability: float = prob_field(
        0.0,
        doc="chance that a trace's contrast varies along it (two waves; off: none drawn)",
    )
    modulation_depth: Range = rng_field(
        0.3, 0.9, min=0, max=1, doc="how far each wave lightens a modulated trace (fraction)"
    )
    modulation_period: Range = rng_field(
        8.0, 80.0, min=1, max=5000, doc="wavelength of each wave along a trace, px"
    )
    double_probability: float = prob_field(
        0.0, doc="chance that an extra trace is a pair of parallel lines (off: none drawn)"
    )
    double_gap: Range = rng_field(3.0, 12.0, min=0.5, max=500, doc="gap of a doubled trace, px")
    blur: Range = rng_field(
        0.0, 0.0, min=0, max=50, doc="std of a trace's soft edges, px (0: sharp; none drawn)"
    )
    flank_probability: float = prob_field(
        0.0, doc="chance that a trace has a line of opposite contrast beside it (surface step)"
    )
    flank_contrast: Range = rng_field(
        0.2, 0.8, min=0, max=2, doc="strength of the flank relative to the trace, opposite sign"
    )


@dataclass(frozen=True)
class ArtifactConfig:
    dirt: Range = rng_field(0, 8, min=0, max=10000, integer=True, doc="dirt particles per image")
    dirt_radius: Range = rng_field(1.0, 6.0, min=0.3, max=500, doc="dirt particle radius, px")
    dirt_contrast: Range = rng_field(
        0.1, 0.6, min=-1, max=1, doc="darkening of dirt particles (negative: bright)"
    )
    grain_boundary_probability: float = prob_field(0.1, doc="chance of a grain boundary")
    grain_boundary_step: Range = rng_field(
        -0.25, 0.25, min=-1, max=1, doc="relative brightness step across the boundary"
    )
    grain_boundary_line: Range = rng_field(
        -0.2, 0.2, min=-1, max=1, doc="relative contrast of the boundary line itself"
    )
    vignetting_probability: float = prob_field(0.3, doc="chance of a darkened image border")
    vignetting_strength: Range = rng_field(
        0.1, 0.6, min=0, max=1, doc="darkening at the image corners"
    )
    bend_contours: Range = rng_field(
        0, 0, min=0, max=100, integer=True, doc="broad dark curved bands per image (bend contours)"
    )
    bend_contour_width: Range = rng_field(
        15.0, 80.0, min=1, max=10000, doc="std of a bend contour's darkening across it, px"
    )
    bend_contour_depth: Range = rng_field(
        0.2, 0.6, min=0, max=0.95, doc="darkening at a bend contour's centre (lines included)"
    )
    jpeg_probability: float = prob_field(0.0, doc="chance that the image is JPEG-compressed")
    jpeg_quality: Range = rng_field(
        30, 90, min=5, max=100, integer=True, doc="JPEG quality of a compressed image"
    )


@dataclass(frozen=True)
class NoiseConfig:
    """Imaging noise applied after drawing, so lines and background share it."""

    probability: float = prob_field(0.5, doc="chance that noise is added after drawing")
    sigma: Range = rng_field(0.0, 0.05, min=0, max=1, doc="std of Gaussian noise (grey levels 0-1)")
    blur: Range = rng_field(
        0.0, 0.7, min=0, max=20, doc="std of the Gaussian that smooths the noise, px"
    )


@dataclass(frozen=True)
class DrawingConfig:
    """Section 3.4: how lines and masks are drawn."""

    line_width: Range = rng_field(1.2, 3.4, min=0.3, max=100, doc="drawn line width, px")
    contrast: Range = rng_field(
        0.3, 0.85, min=0.0, max=1.0, doc="darkening of a line relative to the local background"
    )
    line_blur: Range = rng_field(0.0, 0.8, min=0, max=50, doc="std of the blur of drawn lines, px")
    profiles: tuple = choices_field(
        ("flat", "gaussian", "realistic"),
        PROFILES,
        doc="line profiles to pick from per image: flat (anti-aliased, the paper), gaussian, "
        "realistic (dark core with a soft halo)",
    )
    halo: Range = rng_field(0.25, 0.5, min=0, max=1, doc="depth of the soft halo of 'realistic'")
    mask_width: Range = rng_field(5.0, 5.0, min=1, max=100, doc="line width of the masks, px")
    beading_probability: float = prob_field(
        0.0, doc="chance that a line is beaded: dotted contrast along it, whole mask"
    )
    bead_depth: Range = rng_field(
        0.3, 0.8, min=0, max=1, doc="how far a bead gap lightens the line (fraction)"
    )
    bead_period: Range = rng_field(6.0, 20.0, min=1, max=500, doc="bead spacing along a line, px")
    noise: NoiseConfig = section_field(NoiseConfig)


@dataclass(frozen=True)
class SynthConfig:
    """Complete configuration of the dislocation image generator."""

    name: str = str_field("custom", nullable=False, doc="label stored in records")
    size: tuple = size_field((512, 512), doc="image [height, width] in px")
    background: BackgroundConfig = section_field(BackgroundConfig)
    microstructure: MicrostructureConfig = section_field(MicrostructureConfig)
    slip_traces: SlipTraceConfig = section_field(SlipTraceConfig)
    artifacts: ArtifactConfig = section_field(ArtifactConfig)
    drawing: DrawingConfig = section_field(DrawingConfig)

    def to_dict(self) -> dict:
        return to_plain(self)


def package_presets(package: str) -> list[str]:
    """Names of the YAML presets in ``<package>/presets`` (shared by every generator)."""
    folder = resources.files(package) / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def package_preset_dict(package: str, name: str) -> dict:
    """The raw mapping of preset ``name`` of ``package``; an unknown name is a ConfigError."""
    names = package_presets(package)
    if name not in names:
        raise ConfigError(f"preset: unknown preset {name!r} (available: {', '.join(names)})")
    text = (resources.files(package) / "presets" / f"{name}.yaml").read_text("utf-8")
    return yaml.safe_load(text) or {}


def merge_sources(
    data: dict, path: str | os.PathLike | None = None, overrides: dict | None = None
) -> dict:
    """``data`` (a preset's mapping), then a YAML/JSON file, then overrides, merged in order."""
    if path is not None:
        data = deep_merge(data, read_config_file(path))
    if overrides:
        data = deep_merge(data, overrides)
    return data


@dataclass(frozen=True)
class ConfigFamily:
    """How one generator resolves its configuration (the same for every family).

    A preset (YAML in ``<package>/presets``), then a user's YAML/JSON file, then
    overrides are merged in that order and validated into ``cls``.

    Examples
    --------
    >>> family = ConfigFamily(SynthConfig, "temdefects.synth.dislocations", "m2")
    >>> family.load(overrides={"size": [128, 128]}).size
    (128, 128)
    >>> "m2" in family.presets()
    True
    """

    cls: type
    package: str
    default_preset: str

    def presets(self) -> list[str]:
        """Names of the built-in presets."""
        return package_presets(self.package)

    def preset_dict(self, name: str) -> dict:
        """The raw mapping of a built-in preset; an unknown name is a ConfigError."""
        return package_preset_dict(self.package, name)

    def from_dict(self, data: dict):
        """Validate a plain mapping; a ConfigError names the dotted path of the bad field."""
        return parse_section(self.cls, data, "")

    def load(
        self,
        preset=...,
        path: str | os.PathLike | None = None,
        overrides: dict | None = None,
    ):
        """Preset (the family's default unless given; None: the dataclass defaults),
        then the file at ``path``, then ``overrides``, merged in order."""
        name = self.default_preset if preset is ... else preset
        data = self.preset_dict(name) if name else {}
        return self.from_dict(merge_sources(data, path, overrides))

    @staticmethod
    def dump(config) -> str:
        """YAML text of a fully resolved configuration."""
        return yaml.safe_dump(config.to_dict(), sort_keys=False, default_flow_style=None)


DISLOCATIONS = ConfigFamily(SynthConfig, "temdefects.synth.dislocations", "m2")
list_presets = DISLOCATIONS.presets
preset_dict = DISLOCATIONS.preset_dict
config_from_dict = DISLOCATIONS.from_dict
load_config = DISLOCATIONS.load
dump_config = DISLOCATIONS.dump


def read_config_file(path: str | os.PathLike) -> dict:
    """Read a YAML or JSON mapping from ``path``."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: configuration file not found")
    try:
        text = path.read_text("utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputFileError(f"{path}: cannot parse configuration ({first})") from None
    if data is None or data == {}:  # an empty file would silently run every default
        raise ConfigError(f"{path}: the configuration file is empty (it sets nothing)")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of parameters at the top level")
    return data
