"""Loop-detector model folders: ``model.safetensors`` + ``config.json`` (+ ``metrics.json``).

``config.json`` holds the :class:`~temdefects.loops.detector.DetectorConfig`,
the default score threshold (chosen on validation images by training) and the
training record that rebuilds the model.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from temdefects import __version__
from temdefects.builtin_models import shipped_model_path
from temdefects.errors import InputFileError
from temdefects.io.atomic import atomic_write_bytes, atomic_write_json
from temdefects.loops.detector import DetectorConfig, build_detector, detector_config_from_dict

__all__ = ["FORMAT", "LoopModel", "default_loop_model_path", "load_loop_model", "save_loop_model"]

FORMAT = "temdefects.loopmodel/1"
WEIGHTS, CONFIG, METRICS = "model.safetensors", "config.json", "metrics.json"


@dataclass(frozen=True, eq=False)
class LoopModel:
    """A loaded detector with its settings."""

    net: torch.nn.Module
    config: DetectorConfig
    score_threshold: float
    path: Path | None = None


def default_loop_model_path() -> Path:
    """The model shipped with the package (``temdefects/loops/default``)."""
    return shipped_model_path("loops", "default")


def save_loop_model(
    folder: str | os.PathLike,
    net: torch.nn.Module,
    config: DetectorConfig,
    *,
    score_threshold: float,
    record: dict | None = None,
    metrics: dict | None = None,
) -> Path:
    """Write a model folder atomically, file by file (weights as float16)."""
    from safetensors.torch import save

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {}
    for k, v in net.state_dict().items():
        v = v.detach().cpu().contiguous()
        state[k] = v.half() if v.is_floating_point() else v
    atomic_write_bytes(folder / WEIGHTS, save(state, metadata={"format": FORMAT}))
    doc = {
        "format": FORMAT,
        "temdefects_version": __version__,
        "detector": config.to_dict(),
        "score_threshold": float(score_threshold),
        "training": record or {},
    }
    atomic_write_json(folder / CONFIG, doc)
    if metrics is not None:
        atomic_write_json(folder / METRICS, metrics)
    return folder


def load_loop_model(folder: str | os.PathLike | None = None, *, device="cpu") -> LoopModel:
    """Load a model folder (default: the shipped model).

    Raises
    ------
    InputFileError
        For a missing folder or file, or a folder of another kind of model.
    """
    from safetensors.torch import load_file

    folder = Path(folder) if folder is not None else default_loop_model_path()
    for name in (CONFIG, WEIGHTS):
        if not (folder / name).is_file():
            raise InputFileError(f"{folder}: not a loop model folder (no {name})")
    try:
        doc = json.loads((folder / CONFIG).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{folder / CONFIG}: unreadable ({exc})") from None
    if doc.get("format") != FORMAT:
        raise InputFileError(
            f"{folder}: not a loop model (format {doc.get('format')!r}, expected {FORMAT!r})"
        )
    config = detector_config_from_dict(doc["detector"])
    net = build_detector(config)
    state = {
        k: v.float() if v.is_floating_point() else v
        for k, v in load_file(str(folder / WEIGHTS)).items()
    }
    try:
        net.load_state_dict(state)
    except RuntimeError as exc:
        raise InputFileError(f"{folder}: weights do not fit its config ({exc})") from None
    net.eval().to(device)
    return LoopModel(
        net=net, config=config, score_threshold=float(doc["score_threshold"]), path=folder
    )
