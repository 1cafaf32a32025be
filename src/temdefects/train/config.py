"""Configuration of a training run (``temdefects train CONFIG.yaml``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from temdefects.errors import ConfigError
from temdefects.models.config import ModelConfig
from temdefects.schema import (
    Range,
    bool_field,
    choice_field,
    num_field,
    parse_section,
    prob_field,
    rng_field,
    section_field,
    str_field,
    to_plain,
)


@dataclass(frozen=True)
class DataConfig:
    """Where training and test images come from."""

    source: str = choice_field(
        "synth",
        ("synth", "folder"),
        doc="synth: generate on the fly, a new image per step; folder: a generated dataset",
    )
    preset: str = str_field("m2", nullable=False, doc="generator preset (synth)")
    synth_config: str | None = str_field(None, doc="generator YAML/JSON overrides (synth)")
    backgrounds: str | None = str_field(None, doc="folder of real background crops (synth)")
    folder: str | None = str_field(None, doc="generated dataset folder (folder)")
    train_images: int = num_field(
        4000,
        min=1,
        max=10**9,
        integer=True,
        doc="images per epoch (synth) / first images used (folder)",
    )
    test_folder: str | None = str_field(
        None,
        doc="test set folder; default: the last test_images of `folder`, or a synthetic "
        "set generated once from test_seed into OUT/testset",
    )
    test_images: int = num_field(100, min=1, max=10**7, integer=True, doc="test set size")
    test_seed: int = num_field(
        1_000_003,
        min=0,
        max=2**62,
        integer=True,
        doc="seed of the synthetic test set (never used for training)",
    )
    crop: int = num_field(
        256,
        min=0,
        max=16384,
        integer=True,
        doc="side of random training crops, a multiple of 32 (0: whole image)",
    )
    min_mask_pixels: int = num_field(
        20, min=0, max=10**6, integer=True, doc="masks with fewer pixels left in a crop are dropped"
    )
    batch_size: int = num_field(8, min=1, max=4096, integer=True, doc="images per step")
    workers: int = num_field(0, min=0, max=256, integer=True, doc="data-loading processes")

    def validate(self, path: str) -> None:
        if self.crop % 32:
            raise ConfigError(f"{path}.crop: must be a multiple of 32 (or 0), got {self.crop}")
        if self.source == "folder" and not self.folder:
            raise ConfigError(f"{path}.folder: source 'folder' needs a dataset folder")


@dataclass(frozen=True)
class AugmentConfig:
    """The paper's augmentations (noise, brightness, contrast, equalisation) plus geometry."""

    flip: bool = bool_field(True, doc="random horizontal/vertical mirror")
    rot90: bool = bool_field(True, doc="random multiple of 90 degrees")
    noise_probability: float = prob_field(0.3, doc="chance of added Gaussian noise")
    noise_sigma: Range = rng_field(0.0, 0.04, min=0, max=1, doc="its std (grey levels 0-1)")
    brightness_probability: float = prob_field(0.5, doc="chance of a brightness shift")
    brightness: Range = rng_field(-0.1, 0.1, min=-1, max=1, doc="added to every pixel")
    contrast_probability: float = prob_field(0.5, doc="chance of a contrast change")
    contrast: Range = rng_field(0.7, 1.3, min=0, max=10, doc="factor around the mean")
    equalize_probability: float = prob_field(0.1, doc="chance of histogram equalisation")


@dataclass(frozen=True)
class LossConfig:
    """Matched Dice loss; the defaults are the paper's Algorithm 1."""

    kind: str = choice_field(
        "matched",
        ("matched", "union"),
        doc="matched: one mask per dislocation (the paper's matched Dice); union: Dice + BCE "
        "of the union of the masks against the union of the labels (adaptation to partial "
        "hand labels; matching, empty_weight and objectness_weight are then unused)",
    )
    bce_weight: float = num_field(1.0, min=0, max=100, doc="weight of the BCE term (union)")
    reach: int = num_field(
        0,
        min=0,
        max=1000,
        integer=True,
        doc="union: only pixels within this many px of a labelled line count (0: all); for "
        "hand labels that mark only some dislocations, where the rest is unknown",
    )
    matching: str = choice_field(
        "greedy", ("greedy", "hungarian"), doc="greedy (Algorithm 1) or hungarian (optimal)"
    )
    empty_weight: float = num_field(
        0.0, min=0, max=100, doc="weight pushing unmatched masks to empty (fewer duplicates)"
    )
    objectness_weight: float = num_field(
        0.0, min=0, max=100, doc="weight of the per-mask objectness BCE"
    )
    smooth: float = num_field(1.0, min=1e-6, max=1e6, doc="Dice smoothing")


@dataclass(frozen=True)
class OptimConfig:
    lr: float = num_field(1e-3, min=1e-8, max=10, doc="AdamW learning rate (peak)")
    weight_decay: float = num_field(1e-4, min=0, max=1, doc="AdamW weight decay")
    epochs: int = num_field(20, min=1, max=100000, integer=True, doc="epochs")
    steps_per_epoch: int = num_field(
        0, min=0, max=10**9, integer=True, doc="steps per epoch (0: train_images / batch_size)"
    )
    schedule: str = choice_field(
        "cosine", ("cosine", "constant"), doc="learning-rate schedule after warm-up"
    )
    warmup: float = num_field(0.03, min=0, max=1, doc="fraction of all steps with linear warm-up")
    grad_clip: float = num_field(1.0, min=0, max=1e6, doc="gradient norm clip (0: none)")
    amp: bool = bool_field(True, doc="mixed precision on CUDA (ignored on CPU)")
    cpu_bf16: bool = bool_field(
        False,
        doc="bfloat16 autocast on CPU: about 1.9x faster steps on CPUs with native bf16 "
        "(AVX512-BF16 or AMX; see temdefects.train.loop.cpu_bf16_supported), slower on others",
    )
    checkpoint_every: int = num_field(
        200, min=1, max=10**9, integer=True, doc="steps between resumable checkpoints"
    )


@dataclass(frozen=True)
class EvalConfig:
    every: int = num_field(1, min=1, max=100000, integer=True, doc="epochs between evaluations")
    threshold: float = num_field(0.5, min=0, max=1, doc="mask binarisation threshold")
    min_size: int = num_field(
        10,
        min=0,
        max=10**6,
        integer=True,
        doc="predicted objects smaller than this are removed (px)",
    )
    batch_size: int = num_field(4, min=1, max=4096, integer=True, doc="test images per pass")


@dataclass(frozen=True)
class TrainConfig:
    name: str = str_field("run", nullable=False, doc="label of the run")
    seed: int = num_field(0, min=0, max=2**62, integer=True, doc="seed of every random step")
    device: str = choice_field("auto", ("auto", "cpu", "cuda"), doc="auto: CUDA when present")
    init: str | None = str_field(
        None,
        doc="model folder whose weights start the training (fine-tuning); its model "
        "section must equal this one",
    )
    model: ModelConfig = section_field(ModelConfig)
    data: DataConfig = section_field(DataConfig)
    augment: AugmentConfig = section_field(AugmentConfig)
    loss: LossConfig = section_field(LossConfig)
    optim: OptimConfig = section_field(OptimConfig)
    eval: EvalConfig = section_field(EvalConfig)
    half: bool = bool_field(
        False,
        doc="store the model folder's weights as float16 (half the size; loading casts "
        "them back; checkpoints stay float32, so --resume is exact)",
    )

    def to_dict(self) -> dict:
        return to_plain(self)

    def validate(self, path: str) -> None:
        if self.loss.objectness_weight > 0 and not self.model.objectness:
            raise ConfigError("loss.objectness_weight: needs model.objectness: true")

    @property
    def steps_per_epoch(self) -> int:
        if self.optim.steps_per_epoch:
            return self.optim.steps_per_epoch
        return max(1, self.data.train_images // self.data.batch_size)


def train_config_from_dict(data: dict) -> TrainConfig:
    return parse_section(TrainConfig, data, "")


def load_train_config(path: str | os.PathLike, overrides: dict | None = None) -> TrainConfig:
    """Read a training YAML/JSON file (paths in it are relative to the working directory)."""
    from temdefects.schema import deep_merge
    from temdefects.synth.config import read_config_file

    data = read_config_file(Path(path))
    if overrides:
        data = deep_merge(data, overrides)
    return train_config_from_dict(data)


def dump_train_config(config: TrainConfig) -> str:
    return yaml.safe_dump(config.to_dict(), sort_keys=False, default_flow_style=None)


__all__ = [
    "AugmentConfig",
    "DataConfig",
    "EvalConfig",
    "LossConfig",
    "OptimConfig",
    "TrainConfig",
    "dump_train_config",
    "load_train_config",
    "train_config_from_dict",
]
