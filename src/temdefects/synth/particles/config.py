"""Configuration of the synthetic nanoparticle (HRTEM) generator.

Physical units throughout: pixel size in pm/px, lattice constant in Angstrom,
particle diameters and support undulations in nm, dose in electrons per square
Angstrom. Lengths that only make sense on the pixel grid (edge softness, blur)
are in px. A value written as ``[min, max]`` is drawn uniformly per use (per
image or per particle, as its doc says); a single number fixes it. See
``docs/particles_synth.md`` for the physical model behind every parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from temdefects.errors import ConfigError
from temdefects.schema import (
    Range,
    bool_field,
    choice_field,
    choices_field,
    num_field,
    prob_field,
    rng_field,
    section_field,
    size_field,
    str_field,
    to_plain,
)
from temdefects.synth.particles.lattice import FAULT_PROJECTIONS, PROJECTIONS, finest_spacing

SHAPES = ("circle", "ellipse", "polygon")
DEFECT_KINDS = ("stacking_fault", "twin")
MODES = ("hrtem", "haadf")
CLASSES = ("fault", "no_fault", "no_fringes")
# Fringes finer than this many px per period alias; 2 px is the Nyquist limit.
MIN_PERIOD_PX = 2.5


def _outline_factor(pc) -> float:
    """Largest extent of the configured outlines over their area-equivalent diameter."""
    factors = [1.0]
    if "ellipse" in pc.shapes:
        factors.append(math.sqrt(pc.aspect.hi))
    if "polygon" in pc.shapes:
        n = pc.facets.lo  # circumradius over area-equivalent radius, largest for few sides
        factors.append(math.sqrt(2.0 * math.pi / (n * math.sin(2.0 * math.pi / n))))
    return max(factors)


@dataclass(frozen=True)
class ParticleShapeConfig:
    """Number, size, outline and mass-thickness contrast of the particles."""

    count: Range = rng_field(5, 20, min=0, max=500, integer=True, doc="particles per image")
    diameter: Range = rng_field(
        2.0, 6.0, min=0.2, max=1000, doc="area-equivalent particle diameter, nm (per particle)"
    )
    shapes: tuple = choices_field(
        SHAPES, SHAPES, doc="outlines to pick from per particle: circle, ellipse, polygon"
    )
    aspect: Range = rng_field(
        1.0, 1.5, min=1.0, max=5.0, doc="major / minor axis of an elliptical particle"
    )
    facets: Range = rng_field(
        5, 8, min=3, max=24, integer=True, doc="sides of a faceted (polygon) particle"
    )
    irregularity: Range = rng_field(
        0.0,
        0.05,
        min=0.0,
        max=0.3,
        doc="relative amplitude of random low-order (2-4 fold) waviness of the outline",
    )
    edge_width: Range = rng_field(
        1.5, 4.0, min=0.0, max=50, doc="width of the soft particle edge (0 -> 1 ramp), px"
    )
    contrast: Range = rng_field(
        0.2,
        0.6,
        min=0.0,
        max=50.0,
        doc="mass-thickness contrast at the thickest point, relative to the support level",
    )
    dome: Range = rng_field(
        0.3,
        1.0,
        min=0.0,
        max=1.0,
        doc="thickness profile: 0 flat plate, 1 sphere (projected thickness sqrt(1 - rho^2))",
    )
    max_overlap: float = num_field(
        0.1,
        min=0.0,
        max=0.9,
        doc="allowed overlap: centre distance >= (1 - max_overlap) (r1 + r2); 0 = none",
    )
    inside: bool = bool_field(
        True, doc="keep whole particles inside the image (false: particles may be cut)"
    )
    placement_tries: int = num_field(
        50,
        min=1,
        max=10000,
        integer=True,
        doc="random positions tried per particle before it is dropped (crowded images)",
    )


@dataclass(frozen=True)
class ClassConfig:
    """Probability of each class per particle; the three must sum to 1."""

    fault: float = prob_field(0.4, doc="chance of one to a few stacking faults or twins")
    no_fault: float = prob_field(0.4, doc="chance of perfect crystal fringes")
    no_fringes: float = prob_field(
        0.2, doc="chance of no visible fringes (off zone axis): mass-thickness contrast only"
    )

    def validate(self, path: str) -> None:
        total = self.fault + self.no_fault + self.no_fringes
        if abs(total - 1.0) > 1e-6:
            raise ConfigError(
                f"{path}: fault + no_fault + no_fringes must sum to 1, got {total:.6g}"
            )


@dataclass(frozen=True)
class LatticeConfig:
    """The fcc crystal seen inside a particle (fringe periods follow from its spacings)."""

    lattice_constant: Range = rng_field(
        3.9,
        4.1,
        min=1.0,
        max=20.0,
        doc="fcc lattice constant a, Angstrom (Pt 3.92, Au 4.08); d111 = a/sqrt(3), "
        "d200 = a/2, d220 = a/sqrt(8) (per particle)",
    )
    projections: tuple = choices_field(
        ("110", "110", "single", "single", "100", "111"),
        tuple(PROJECTIONS),
        doc="zone axes to pick from per particle (repeat one to weight it): 110, 100, 111, "
        "single (one {111} set, slightly off axis)",
    )
    orientation: Range = rng_field(
        0.0, 180.0, min=-360, max=360, doc="in-plane rotation of the crystal, degrees"
    )
    contrast: Range = rng_field(
        0.08, 0.25, min=0.0, max=5.0, doc="fringe amplitude relative to the support level"
    )
    minor_weight: Range = rng_field(
        0.3,
        0.7,
        min=0.0,
        max=1.0,
        doc="weight of the weaker reflections ({200} in 110, {220} in 100) vs the main ones",
    )


@dataclass(frozen=True)
class DefectConfig:
    """Planar defects of particles of class ``fault``: all parallel, on one {111} plane."""

    planes: Range = rng_field(1, 3, min=1, max=20, integer=True, doc="defect planes per particle")
    kinds: tuple = choices_field(
        DEFECT_KINDS,
        DEFECT_KINDS,
        doc="kinds to pick from per plane: stacking_fault (phase shift), twin (mirror)",
    )
    shift: float = num_field(
        1.0 / 3.0,
        min=0.05,
        max=0.5,
        doc="phase shift of inclined fringes across a stacking fault, in periods "
        "(1/3: intrinsic fault, R = a/6<112>)",
    )
    min_spacing: int = num_field(
        3, min=1, max=100, integer=True, doc="least distance between defect planes, {111} spacings"
    )
    extent: float = num_field(
        0.6,
        min=0.0,
        max=0.95,
        doc="planes lie within this fraction of the particle radius from its centre",
    )


@dataclass(frozen=True)
class SupportConfig:
    """Amorphous support film: speckle with a ring-shaped spectrum plus slow undulation."""

    contrast: Range = rng_field(
        0.03, 0.1, min=0.0, max=5.0, doc="std of the speckle relative to the support level"
    )
    speckle_period: Range = rng_field(
        3.0, 6.0, min=0.1, max=1000, doc="period of the ring in the speckle spectrum, Angstrom"
    )
    ring_width: Range = rng_field(
        0.2, 0.5, min=0.02, max=2.0, doc="Gaussian width of the ring, fraction of its frequency"
    )
    ring_weight: Range = rng_field(
        0.4, 0.8, min=0.0, max=1.0, doc="share of the ring (band-pass) in the speckle variance"
    )
    smoothing: Range = rng_field(
        1.0,
        3.0,
        min=0.0,
        max=1000,
        doc="std of the Gaussian filter of the low-pass speckle part, Angstrom",
    )
    undulation: Range = rng_field(
        0.0, 0.05, min=0.0, max=5.0, doc="amplitude of slow thickness variation (Perlin noise)"
    )
    undulation_length: Range = rng_field(
        5.0, 30.0, min=0.1, max=100000, doc="wavelength of the slow variation, nm"
    )


@dataclass(frozen=True)
class SubstrateConfig:
    """A crystalline or porous support under the particles (e.g. gamma-alumina grains).

    Off by default (``coverage`` 0). Where present it adds ``level (1 + mottle M)``
    to the signal, ``M`` a mottle field of grains, over a smooth outline that
    covers about ``coverage`` of the image, with round pores cut out of it. In
    HAADF it is brighter than the film and darker than the particles.
    """

    coverage: Range = rng_field(
        0.0, 0.0, min=0.0, max=1.0, doc="fraction of the image the substrate covers (0: none)"
    )
    length: Range = rng_field(
        5.0, 30.0, min=0.1, max=100000, doc="size of the substrate's lumps and bays, nm"
    )
    level: Range = rng_field(
        1.0, 6.0, min=0.0, max=50.0, doc="substrate signal relative to the film level"
    )
    mottle: Range = rng_field(
        0.1, 0.4, min=0.0, max=2.0, doc="relative std of the grain mottle inside the substrate"
    )
    mottle_length: Range = rng_field(
        0.5, 3.0, min=0.01, max=10000, doc="size of the mottle's grains, nm"
    )
    pores: Range = rng_field(
        0, 0, min=0, max=500, integer=True, doc="round pores cut out of the substrate per image"
    )
    pore_diameter: Range = rng_field(1.0, 6.0, min=0.05, max=10000, doc="pore diameter, nm")
    edge: Range = rng_field(
        1.0, 3.0, min=0.0, max=100, doc="softness of the substrate's outline, px"
    )
    on_substrate: float = prob_field(
        0.0, doc="chance that a particle must sit on the substrate (else anywhere)"
    )
    streaks: Range = rng_field(
        0.0,
        0.0,
        min=0.0,
        max=5.0,
        doc="amplitude of streaks along one image axis (tomography or scan artefacts), "
        "relative to the film level",
    )
    streak_length: Range = rng_field(
        10.0, 60.0, min=1.0, max=10000, doc="length of the streaks, px"
    )


@dataclass(frozen=True)
class ImagingConfig:
    """Contrast mode, optics and detector."""

    modes: tuple = choices_field(
        MODES,
        MODES,
        doc="picked per image: hrtem (particles darker than the support), "
        "haadf (particles brighter, Z contrast)",
    )
    blur: Range = rng_field(
        0.3, 1.0, min=0.0, max=50, doc="std of the Gaussian blur (partial coherence), px"
    )
    dose: Range = rng_field(
        500.0, 5000.0, min=0.01, max=1e9, doc="electron dose, e-/Angstrom^2 (sets shot noise)"
    )
    shot_noise: bool = bool_field(True, doc="Poisson noise of the counted electrons")
    read_noise: Range = rng_field(
        0.0, 2.0, min=0.0, max=1e6, doc="std of Gaussian detector noise, counts per px"
    )
    clip_percent: float = num_field(
        0.5, min=0.0, max=10.0, doc="percent of darkest and brightest px clipped by the stretch"
    )
    dtype: str = choice_field("uint8", ("uint8", "uint16"), doc="output image type")
    correlated_noise: Range = rng_field(
        0.0,
        0.0,
        min=0.0,
        max=50.0,
        doc="std of additive, spatially correlated noise relative to the film level, present "
        "in vacuum too (the reconstruction noise of tomography slices); 0: none",
    )
    noise_length: Range = rng_field(
        0.5, 1.5, min=0.0, max=100.0, doc="correlation length (Gaussian std) of that noise, px"
    )


@dataclass(frozen=True)
class ParticleSynthConfig:
    """Complete configuration of the nanoparticle image generator."""

    name: str = str_field("custom", nullable=False, doc="label stored in records")
    size: tuple = size_field((1024, 1024), doc="image [height, width] in px")
    pixel_size: Range = rng_field(
        20.0, 40.0, min=1.0, max=10000, doc="pixel size, pm/px (per image)"
    )
    particles: ParticleShapeConfig = section_field(ParticleShapeConfig)
    classes: ClassConfig = section_field(ClassConfig)
    lattice: LatticeConfig = section_field(LatticeConfig)
    defects: DefectConfig = section_field(DefectConfig)
    support: SupportConfig = section_field(SupportConfig)
    substrate: SubstrateConfig = section_field(SubstrateConfig)
    imaging: ImagingConfig = section_field(ImagingConfig)

    def validate(self, path: str) -> None:
        if self.classes.fault > 0 and not set(self.lattice.projections) & FAULT_PROJECTIONS:
            raise ConfigError(
                "lattice.projections: particles of class fault need a projection that shows "
                f"an edge-on {{111}} plane ({', '.join(sorted(FAULT_PROJECTIONS))})"
            )
        if self.classes.fault + self.classes.no_fault > 0:
            finest = finest_spacing(self.lattice.projections) * self.lattice.lattice_constant.lo
            period = finest * 100.0 / self.pixel_size.hi
            if period < MIN_PERIOD_PX:
                raise ConfigError(
                    f"pixel_size: the finest fringes ({finest:.2f} Angstrom) would be "
                    f"{period:.2f} px at {self.pixel_size.hi} pm/px, below {MIN_PERIOD_PX} px"
                )
        pc = self.particles
        widest = pc.diameter.hi * 1000.0 / self.pixel_size.lo * _outline_factor(pc)
        if pc.inside and widest > min(self.size):
            raise ConfigError(
                f"particles.diameter: a {pc.diameter.hi} nm particle spans up to {widest:.0f} px "
                f"at {self.pixel_size.lo} pm/px and does not fit the image {list(self.size)}"
            )

    def to_dict(self) -> dict:
        return to_plain(self)


def nm_to_px(value_nm: float, pixel_size_pm: float) -> float:
    """A length in nm as px at ``pixel_size_pm`` pm/px."""
    return float(value_nm) * 1000.0 / float(pixel_size_pm)


def angstrom_to_px(value_a: float, pixel_size_pm: float) -> float:
    """A length in Angstrom as px at ``pixel_size_pm`` pm/px."""
    return float(value_a) * 100.0 / float(pixel_size_pm)


__all__ = [
    "CLASSES",
    "ClassConfig",
    "DefectConfig",
    "ImagingConfig",
    "LatticeConfig",
    "ParticleShapeConfig",
    "ParticleSynthConfig",
    "SubstrateConfig",
    "SupportConfig",
    "angstrom_to_px",
    "nm_to_px",
]
