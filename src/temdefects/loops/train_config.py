"""Typed configuration of ``temdefects loops train``.

Frozen dataclasses parsed by :mod:`temdefects.schema` (errors name the
dotted field); the ``detector`` section is a
:class:`temdefects.loops.detector.DetectorConfig`. The resolved
configuration is stored in the model folder, so a model folder says how it
was made.
"""

from __future__ import annotations

from dataclasses import dataclass

from temdefects.errors import ConfigError
from temdefects.loops.detector import DetectorConfig
from temdefects.schema import (
    Range,
    choice_field,
    num_field,
    parse_section,
    rng_field,
    section_field,
    str_field,
    strs_field,
    to_plain,
)
from temdefects.synth.loops.config import CLASSES

__all__ = ["LoopDataConfig", "LoopOptimConfig", "LoopTrainConfig", "loop_train_config"]

UNLABELLED = ("negative", "ignore-dark", "label-dark")


@dataclass(frozen=True)
class LoopDataConfig:
    """Training images: generated loop folders and/or real images with box files."""

    synth: tuple = strs_field((), doc="folders written by `temdefects loops synth`")
    synth_val: str | None = str_field(None, doc="generated folder that validates (optional)")
    images: str | None = str_field(None, doc="folder of real images for `boxes`")
    boxes: str | None = str_field(
        None,
        doc="ground truth of `images`: folder of <stem>.txt box files ('ymin xmin ymax "
        "xmax', Li et al. 2018), or COCO/YOLO/ImageJ labels (truth_format)",
    )
    truth_format: str = choice_field(
        "boxes", ("auto", "boxes", "coco", "yolo", "imagej"), doc="format of `boxes`"
    )
    train_list: str | None = str_field(
        None, doc="file naming the real training images (default: all not in test_list)"
    )
    test_list: str | None = str_field(
        None, doc="file naming held-out real images, never used for training or choices"
    )
    box_class: str = choice_field(
        "loop111", CLASSES, doc="class of single-class real labels and of unknown class names"
    )
    val_fraction: float = num_field(
        0.1, min=0.0, max=0.9, doc="share of the real training images that validates"
    )
    real_weight: float = num_field(
        0.5, min=0.0, max=1.0, doc="share of training crops drawn from real images"
    )
    crop: int = num_field(256, min=64, max=4096, integer=True, doc="side of training crops, px")
    batch_size: int = num_field(8, min=1, max=256, integer=True, doc="crops per step")
    min_visible: float = num_field(
        0.5, min=0.05, max=1.0, doc="a box cut by a crop is kept when this share is inside"
    )
    zoom: Range = rng_field(
        1.0,
        1.0,
        min=0.1,
        max=10.0,
        doc="[min, max] magnification of training crops, drawn log-uniformly (scale "
        "augmentation; 1 = off)",
    )
    invert: float = num_field(
        0.0, min=0.0, max=1.0, doc="share of training crops inverted (bright defects)"
    )
    unlabelled: str = choice_field(
        "negative",
        UNLABELLED,
        doc="what the unboxed parts of real images teach: 'negative' (background "
        "everywhere), or 'ignore-dark' (compact dark blobs are neither defect nor "
        "background; for labels of one class, as Li et al.'s <111> boxes, which leave "
        "black dots and <100> loops unboxed), or 'label-dark' (the solid ones become dots "
        "and <100> loops by shape, the rest is ignored; validation still ignores them all)",
    )

    def validate(self, path: str) -> None:
        if not self.synth and not self.boxes:
            raise ConfigError(f"{path}: give generated folders (synth) and/or real boxes")
        if bool(self.boxes) != bool(self.images):
            raise ConfigError(f"{path}: boxes and images go together")


@dataclass(frozen=True)
class LoopOptimConfig:
    """AdamW with a linear warm-up and a cosine decay to zero."""

    epochs: int = num_field(
        10,
        min=0,
        max=100000,
        integer=True,
        doc="validation rounds (0: no training; the init model is validated and its "
        "score threshold chosen again, e.g. after a change of detector settings)",
    )
    steps_per_epoch: int = num_field(200, min=1, max=10**7, integer=True, doc="steps per epoch")
    lr: float = num_field(3e-4, min=1e-8, max=10.0, doc="peak learning rate")
    weight_decay: float = num_field(1e-4, min=0.0, max=1.0, doc="AdamW weight decay")
    warmup: float = num_field(0.05, min=0.0, max=1.0, doc="fraction of steps with warm-up")
    grad_clip: float = num_field(5.0, min=0.0, max=1e6, doc="gradient norm clip (0: none)")
    validation: str = choice_field(
        "agnostic",
        ("agnostic", "class-aware"),
        doc="how validation scores an epoch and its threshold: any box may match "
        "(agnostic), or only one of the same class, with the boxes of classes a "
        "set's labels never name left out (class-aware, Shen et al.'s score)",
    )


@dataclass(frozen=True)
class LoopTrainConfig:
    """Everything that rebuilds a loop detector."""

    name: str = str_field("loops", nullable=False, doc="label of the run")
    seed: int = num_field(
        0,
        min=0,
        max=2**62,
        integer=True,
        doc="seed of every random step; it also draws the validation share of the real list",
    )
    device: str = str_field("cpu", nullable=False, doc="cpu, cuda, cuda:N or auto")
    init: str | None = str_field(
        None,
        doc="loop model folder to fine-tune (same detector architecture), another temdefects "
        "model folder whose ResNet encoder starts the trunk, or null (random start)",
    )
    detector: DetectorConfig = section_field(DetectorConfig)
    data: LoopDataConfig = section_field(LoopDataConfig)
    optim: LoopOptimConfig = section_field(LoopOptimConfig)

    def to_dict(self) -> dict:
        return to_plain(self)

    def validate(self, path: str) -> None:
        # the default data section names no images, so it is checked even when left out
        self.data.validate(f"{path}.data" if path else "data")


def loop_train_config(data: dict | None = None) -> LoopTrainConfig:
    """Parse a (partial) mapping over the defaults; errors name the dotted field.

    Missing keys keep their defaults, unknown keys are errors, and the ``data``
    section must name generated folders and/or real boxes even when left out.

    Examples
    --------
    >>> cfg = loop_train_config({"optim": {"epochs": 2}, "data": {"synth": ["d"]}})
    >>> cfg.optim.epochs, cfg.data.synth, cfg.detector.backbone
    (2, ('d',), 'resnet18')
    >>> loop_train_config({"optim": {"lr": 0}})
    Traceback (most recent call last):
    ...
    temdefects.errors.ConfigError: optim.lr: must be >= 1e-08, got 0.0
    """
    return parse_section(LoopTrainConfig, data, "")
