"""The self-describing model folder.

``config.json``       architecture, encoder, N, input scaling, training recipe,
                      seed and package version (everything to rebuild the model)
``model.safetensors`` the weights
``metrics.json``      measured results (optional)
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from temdefects import __version__
from temdefects.builtin_models import BUILTIN_MODELS, default_model_path, model_path
from temdefects.errors import ConfigError, InputFileError
from temdefects.io.atomic import atomic_write_bytes, atomic_write_json
from temdefects.io.records import read_json_record
from temdefects.models.config import ModelConfig
from temdefects.models.net import DislocationNet

FORMAT = "temdefects.model/1"
CONFIG, WEIGHTS, METRICS = "config.json", "model.safetensors", "metrics.json"
__all__ = [
    "BUILTIN_MODELS",
    "default_model_path",
    "load",
    "model_path",
    "read_config",
    "save_model",
    "update_config",
]


def save_model(
    folder: str | os.PathLike,
    model: DislocationNet,
    *,
    record: dict | None = None,
    metrics: dict | None = None,
    half: bool = False,
) -> Path:
    """Write a model folder (atomically, file by file) and return its path.

    Parameters
    ----------
    record
        Anything that rebuilds the model: training configuration, data recipe,
        seed. Stored under ``"training"`` in ``config.json``.
    half
        Store the weights as float16 (half the size; loading casts back).
    """
    from safetensors.torch import save

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    atomic_write_bytes(folder / WEIGHTS, save(state, metadata={"format": FORMAT}))
    config = {
        "format": FORMAT,
        "temdefects_version": __version__,
        "model": model.config.to_dict(),
        "training": record or {},
    }
    atomic_write_json(folder / CONFIG, config)
    if metrics is not None:
        atomic_write_json(folder / METRICS, metrics)
    return folder


def read_config(folder: str | os.PathLike) -> dict:
    """The parsed ``config.json`` of a model folder (checked)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: model folder not found")
    return read_json_record(
        folder / CONFIG,
        expected_format=FORMAT,
        what="temdefects model configuration",
        missing="missing (not a temdefects model folder)",
    )


def update_config(folder: str | os.PathLike, **entries) -> dict:
    """Set top-level ``entries`` of a model folder's record (atomically); returns the record."""
    from temdefects.io.atomic import atomic_write_json

    record = read_config(folder)
    record.update(entries)
    atomic_write_json(Path(folder) / CONFIG, record)
    return record


def load(
    path: str | os.PathLike | None = None, *, device: str | torch.device = "cpu"
) -> DislocationNet:
    """Rebuild a model from its folder, in eval mode.

    ``path=None`` loads the default model shipped with the package. The
    returned module carries ``.config`` (a :class:`ModelConfig`) and ``.record``
    (the whole ``config.json``). Its weights are in channels-last memory layout,
    which :func:`~temdefects.models.predict` matches: CPU inference of the
    default model about 1.5 times faster (logits within 1e-4 of the standard
    layout; ``benchmarks/bench_analyze.py``).

    Raises
    ------
    InputFileError
        If the folder, its configuration or its weights are missing or corrupted.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if path is None:
        path = default_model_path()
        if not (path / CONFIG).is_file():
            raise InputFileError(
                f"{path}: no default model is installed with this version; "
                "pass a model folder (temdefects train writes one)"
            )
    folder = Path(path)
    record = read_config(folder)
    try:
        config = ModelConfig.from_dict(record.get("model", {}), "model")
    except ConfigError as exc:
        raise InputFileError(f"{folder / CONFIG}: {exc}") from None
    weights = folder / WEIGHTS
    if not weights.is_file():
        raise InputFileError(f"{weights}: missing")
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as exc:
        raise InputFileError(f"{weights}: corrupted ({exc})") from None
    model = DislocationNet(config)
    try:
        model.load_state_dict(
            {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
        )
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise InputFileError(
            f"{weights}: weights do not fit the configured model ({first})"
        ) from None
    model.record = record
    return model.to(device, memory_format=torch.channels_last).eval()
