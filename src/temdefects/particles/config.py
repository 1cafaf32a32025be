"""Typed configuration of the particle pipeline: segmentation training, instances,
features and classifiers.

Everything here is a frozen dataclass parsed by :mod:`temdefects.schema`, so an
unknown key or an out-of-range value is an error naming its dotted field
(``optim.lr: must be >= 1e-08, got 0``). The whole resolved configuration is
stored in the model folder (``config.json``, under ``training``), so a model
folder describes how it was made and how the pipeline must treat new images.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from temdefects.errors import ConfigError
from temdefects.models.config import ModelConfig
from temdefects.schema import (
    bool_field,
    choice_field,
    deep_merge,
    num_field,
    parse_section,
    section_field,
    str_field,
    strs_field,
    to_plain,
)
from temdefects.train.config import AugmentConfig

#: The segmenter the particle pipeline trains unless told otherwise: a small
#: U-Net with one output mask (particle vs support).
DEFAULT_MODEL = {"arch": "unet", "encoder": "mobilenet_v2", "n_masks": 1, "decoder_base": 8}


@dataclass(frozen=True)
class SegmentDataConfig:
    """Which generated particle images train and test the segmenter."""

    folder: str | None = str_field(None, doc="generated particle folder (particles synth)")
    extra_folders: tuple = strs_field(
        (),
        doc="more generated folders (other presets) whose images join the training; the "
        "last test_fraction of each joins the test split",
    )
    test_folder: str | None = str_field(
        None, doc="test folder; default: the last test_fraction of `folder`"
    )
    test_fraction: float = num_field(
        0.1, min=0.0, max=0.9, doc="share of `folder` kept aside as the test split"
    )
    crop: int = num_field(
        256, min=32, max=8192, integer=True, doc="side of random training crops, multiple of 32"
    )
    batch_size: int = num_field(8, min=1, max=1024, integer=True, doc="crops per step")
    workers: int = num_field(0, min=0, max=64, integer=True, doc="data-loading processes")

    def validate(self, path: str) -> None:
        if self.crop % 32:
            raise ConfigError(f"{path}.crop: must be a multiple of 32, got {self.crop}")


@dataclass(frozen=True)
class SegmentLossConfig:
    """Binary cross-entropy plus soft Dice on the particle mask."""

    bce_weight: float = num_field(1.0, min=0.0, max=100.0, doc="weight of the BCE term")
    dice_weight: float = num_field(1.0, min=0.0, max=100.0, doc="weight of the Dice term")
    smooth: float = num_field(1.0, min=1e-6, max=1e6, doc="Dice smoothing (px)")

    def validate(self, path: str) -> None:
        if self.bce_weight + self.dice_weight <= 0:
            raise ConfigError(f"{path}: bce_weight + dice_weight must be > 0")


@dataclass(frozen=True)
class SegmentOptimConfig:
    """AdamW with a linear warm-up and a cosine decay to zero."""

    epochs: int = num_field(
        20, min=1, max=100000, integer=True, doc="passes over the training split"
    )
    max_steps: int = num_field(
        0, min=0, max=10**9, integer=True, doc="stop after this many steps (0: no limit)"
    )
    lr: float = num_field(1e-3, min=1e-8, max=10.0, doc="peak learning rate")
    weight_decay: float = num_field(1e-4, min=0.0, max=1.0, doc="AdamW weight decay")
    warmup: float = num_field(0.03, min=0.0, max=1.0, doc="fraction of steps with linear warm-up")
    grad_clip: float = num_field(1.0, min=0.0, max=1e6, doc="gradient norm clip (0: none)")
    cpu_bf16: bool = bool_field(
        False, doc="bfloat16 autocast on CPU (as the dislocation training's optim.cpu_bf16)"
    )


@dataclass(frozen=True)
class InstanceConfig:
    """Probabilities -> binary mask -> one label per particle (see ``instances``)."""

    threshold: float = num_field(0.5, min=0.0, max=1.0, doc="probability threshold of the mask")
    min_size: int = num_field(
        30, min=0, max=10**8, integer=True, doc="smaller objects (px) are removed"
    )
    min_area_fraction: float = num_field(
        0.25,
        min=0.0,
        max=1.0,
        doc="training sets min_size to this fraction of the 1st percentile of the true "
        "particles' visible areas (px) in its training images; 0: keep min_size",
    )
    min_diameter_nm: float = num_field(
        0.5,
        min=0.0,
        max=1e4,
        doc="where the pixel size is known, objects smaller than a disc of this diameter "
        "(nm) are removed too; 0: off",
    )
    relative_min_size: float = num_field(
        0.05,
        min=0.0,
        max=1.0,
        doc="objects smaller than this fraction of the median object area of the image "
        "are removed too (the floor follows the image's particle scale); 0: off",
    )
    expected_diameter: float = num_field(
        0.0,
        min=0.0,
        max=1e5,
        doc="typical particle diameter, px; 0: estimated per image from the mask",
    )
    merge_ratio: float = num_field(
        0.7,
        min=0.0,
        max=1.0,
        doc="watershed regions whose neck is at least this fraction of the thinner "
        "one's radius are one particle",
    )
    exclude_border: bool = bool_field(False, doc="drop particles cut by the image border")


@dataclass(frozen=True)
class FeatureConfig:
    """Per-particle features (see :mod:`temdefects.particles.features`)."""

    min_period_px: float = num_field(
        2.2, min=2.0, max=1000.0, doc="finest fringe period looked for, px"
    )
    max_period_px: float = num_field(
        32.0, min=2.5, max=10000.0, doc="coarsest fringe period looked for, px"
    )
    min_fringes: float = num_field(
        3.0, min=1.0, max=100.0, doc="a fringe needs this many periods across the particle"
    )
    spot_threshold: float = num_field(
        20.0,
        min=1.0,
        max=1e6,
        doc="a Bragg spot's power over the radial median power of its frequency",
    )
    min_relative_power: float = num_field(
        0.01,
        min=0.0,
        max=1.0,
        doc="a Bragg spot's power over the strongest spot's (leakage is no spot)",
    )
    phase_spots: int = num_field(
        3, min=1, max=10, integer=True, doc="strongest spots whose fringe phase is measured"
    )

    def validate(self, path: str) -> None:
        if self.max_period_px <= self.min_period_px:
            raise ConfigError(f"{path}.max_period_px: must be greater than min_period_px")


@dataclass(frozen=True)
class ClassifierConfig:
    """The two per-particle classifiers trained side by side."""

    n_estimators: int = num_field(
        300, min=1, max=100000, integer=True, doc="trees of the random forest"
    )
    max_depth: int = num_field(
        0, min=0, max=1000, integer=True, doc="depth limit of the forest's trees (0: none)"
    )
    boosting_iterations: int = num_field(
        200, min=1, max=100000, integer=True, doc="iterations of the gradient boosting"
    )
    boosting_lr: float = num_field(0.1, min=1e-6, max=10.0, doc="its learning rate")
    class_weight: str | None = choice_field(
        "balanced",
        ("balanced",),
        nullable=True,
        doc="balanced: weigh classes by inverse frequency; null: equal weights",
    )


@dataclass(frozen=True)
class ParticleTrainConfig:
    """A whole particle-pipeline training run (``temdefects particles train``)."""

    name: str = str_field("particles", nullable=False, doc="label of the run")
    seed: int = num_field(0, min=0, max=2**62, integer=True, doc="seed of every random step")
    device: str = choice_field("auto", ("auto", "cpu", "cuda"), doc="auto: CUDA when present")
    model: ModelConfig = field(
        default_factory=lambda: ModelConfig(**DEFAULT_MODEL),
        metadata={"kind": "section", "cls": ModelConfig},
    )
    data: SegmentDataConfig = section_field(SegmentDataConfig)
    augment: AugmentConfig = section_field(AugmentConfig)
    loss: SegmentLossConfig = section_field(SegmentLossConfig)
    optim: SegmentOptimConfig = section_field(SegmentOptimConfig)
    instances: InstanceConfig = section_field(InstanceConfig)
    features: FeatureConfig = section_field(FeatureConfig)
    classifier: ClassifierConfig = section_field(ClassifierConfig)

    def validate(self, path: str) -> None:
        if self.model.n_masks != 1:
            raise ConfigError(
                f"model.n_masks: the particle segmenter predicts one mask, got {self.model.n_masks}"
            )
        if self.model.objectness:
            raise ConfigError("model.objectness: not used by the particle segmenter")

    def to_dict(self) -> dict:
        return to_plain(self)


def particle_train_config(data: dict | None = None) -> ParticleTrainConfig:
    """Parse a (partial) mapping over the defaults; errors name the dotted field.

    Examples
    --------
    >>> cfg = particle_train_config({"optim": {"epochs": 2}, "model": {"decoder_base": 4}})
    >>> cfg.optim.epochs, cfg.model.arch, cfg.model.decoder_base
    (2, 'unet', 4)
    >>> particle_train_config({"optim": {"lr": 0}})
    Traceback (most recent call last):
    ...
    temdefects.errors.ConfigError: optim.lr: must be >= 1e-08, got 0.0
    """
    # Merging over the plain defaults keeps the particle model defaults when only
    # part of the model section is given (ModelConfig's own defaults differ).
    merged = deep_merge(to_plain(ParticleTrainConfig()), data or {})
    return parse_section(ParticleTrainConfig, merged, "")


__all__ = [
    "DEFAULT_MODEL",
    "ClassifierConfig",
    "FeatureConfig",
    "InstanceConfig",
    "ParticleTrainConfig",
    "SegmentDataConfig",
    "SegmentLossConfig",
    "SegmentOptimConfig",
    "particle_train_config",
]
