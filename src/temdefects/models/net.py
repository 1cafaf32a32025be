"""The network: a segmentation-models-pytorch model with input scaling built in."""

from __future__ import annotations

import torch
from torch import nn

from temdefects.models.config import ModelConfig


def _smp_model(cfg: ModelConfig) -> nn.Module:
    import segmentation_models_pytorch as smp

    from temdefects.models.config import DECODER_WIDTH_ARCHS

    kwargs = {}
    if cfg.objectness:
        kwargs["aux_params"] = {"classes": cfg.n_masks, "dropout": 0.0}
    if cfg.arch in DECODER_WIDTH_ARCHS:
        kwargs["decoder_channels"] = cfg.decoder_channels
    # encoder_weights=None: nothing is ever downloaded.
    return smp.create_model(
        cfg.arch,
        encoder_name=cfg.encoder,
        encoder_weights=None,
        in_channels=cfg.in_channels,
        classes=cfg.n_masks,
        **kwargs,
    )


class DislocationNet(nn.Module):
    """Image (B, C, H, W) in [0, 1] -> mask logits (B, N, H, W) and objectness (B, N) or None.

    The input is scaled inside the model (``config.normalisation``), so every
    caller feeds images the same way. H and W must be multiples of
    :attr:`multiple`; :func:`temdefects.models.predict` pads for you.
    """

    multiple = 32

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.net = _smp_model(config)

    def scale(self, x: torch.Tensor) -> torch.Tensor:
        if self.config.normalisation == "standardize":
            mean = x.mean(dim=(2, 3), keepdim=True)
            std = x.std(dim=(2, 3), keepdim=True).clamp_min(1e-3)
            return (x - mean) / std
        return x

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        if x.ndim != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(
                f"DislocationNet: expected (B, {self.config.in_channels}, H, W) "
                f"input, got {tuple(x.shape)}"
            )
        if x.shape[2] % self.multiple or x.shape[3] % self.multiple:
            raise ValueError(
                f"DislocationNet: H and W must be multiples of {self.multiple}, "
                f"got {tuple(x.shape[2:])}"
            )
        out = self.net(self.scale(x))
        if isinstance(out, tuple):
            return out[0], out[1]
        return out, None


def build_model(config: ModelConfig | dict | None = None) -> DislocationNet:
    """A freshly initialised network (default: the paper's U-Net++ / ResNet-50, N = 20).

    The initialisation draws from torch's global generator; seed it beforehand
    (training does, from its recorded seed) for a reproducible start.
    """
    if config is None:
        config = ModelConfig()
    elif isinstance(config, dict):
        config = ModelConfig.from_dict(config)
    return DislocationNet(config)
