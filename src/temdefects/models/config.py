"""Configuration of a dislocation segmentation network."""

from __future__ import annotations

from dataclasses import dataclass

from temdefects.errors import ConfigError
from temdefects.schema import (
    bool_field,
    choice_field,
    num_field,
    parse_section,
    str_field,
    to_plain,
)

# segmentation-models-pytorch architectures, by the name used in configs.
ARCHITECTURES = ("unetplusplus", "unet", "fpn", "manet", "linknet", "deeplabv3plus", "pan")
NORMALISATIONS = ("standardize", "unit")
DECODER_WIDTH_ARCHS = ("unet", "unetplusplus", "manet")


@dataclass(frozen=True)
class ModelConfig:
    """A U-Net-family network predicting ``n_masks`` instance masks.

    The default is the paper's U-Net++ with a ResNet-50 encoder and 20 masks.
    """

    arch: str = choice_field("unetplusplus", ARCHITECTURES, doc="decoder architecture")
    encoder: str = str_field(
        "resnet50", nullable=False, doc="encoder name as in segmentation-models-pytorch"
    )
    n_masks: int = num_field(
        20,
        min=1,
        max=256,
        integer=True,
        doc="N: masks predicted per image (most dislocations per image)",
    )
    in_channels: int = num_field(1, min=1, max=8, integer=True, doc="input channels")
    objectness: bool = bool_field(
        False, doc="also predict a per-mask 'a dislocation is here' logit (encoder head)"
    )
    decoder_base: int = num_field(
        16,
        min=1,
        max=256,
        integer=True,
        doc="channels of the last decoder stage; earlier stages double it (16: the library's "
        "default 256-128-64-32-16); unet, unetplusplus and manet only",
    )
    normalisation: str = choice_field(
        "standardize",
        NORMALISATIONS,
        doc="input scaling inside the model: per-image zero mean and unit std, or [0, 1] as is",
    )

    def to_dict(self) -> dict:
        return to_plain(self)

    def validate(self, path: str) -> None:
        _check_encoder(self.encoder, path or "model")
        if self.decoder_base != 16 and self.arch not in DECODER_WIDTH_ARCHS:
            raise ConfigError(
                f"{path or 'model'}.decoder_base: only for "
                f"{', '.join(DECODER_WIDTH_ARCHS)}, not {self.arch}"
            )

    @property
    def decoder_channels(self) -> tuple[int, ...]:
        return tuple(self.decoder_base * f for f in (16, 8, 4, 2, 1))

    @classmethod
    def from_dict(cls, data: dict, path: str = "model") -> ModelConfig:
        return parse_section(cls, data, path)


def _check_encoder(name: str, path: str) -> None:
    import segmentation_models_pytorch as smp

    known = smp.encoders.get_encoder_names()
    if name not in known and not name.startswith("tu-"):
        raise ConfigError(
            f"{path}.encoder: unknown encoder {name!r} (e.g. resnet18, resnet34, "
            "resnet50, efficientnet-b0, mobilenet_v2, timm-regnetx_002)"
        )
