"""Resumable training state: model, optimiser, schedule, scaler, log and position."""

from __future__ import annotations

import io
from pathlib import Path

import torch

from temdefects.errors import ConfigError, InputFileError, TemdefectsError
from temdefects.io.atomic import atomic_write_bytes
from temdefects.train.config import train_config_from_dict


def write_state(path: Path, payload: dict) -> None:
    """``torch.save`` ``payload`` to ``path`` atomically (folders made as needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    torch.save(payload, buf)
    atomic_write_bytes(path, buf.getvalue())


def read_state(path: Path) -> dict:
    """A payload written by :func:`write_state`; a damaged file is one error line."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for damaged files
        raise InputFileError(f"{path}: cannot read checkpoint ({exc})") from None
    if not isinstance(ckpt, dict):
        raise InputFileError(f"{path}: not a temdefects checkpoint")
    return ckpt


def save_checkpoint(path: Path, config, model, opt, sched, scaler, tlog, state: dict) -> None:
    """Write ``checkpoints/last.pt`` atomically."""
    write_state(
        path,
        {
            "config": config.to_dict(),
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict(),
            "scaler": scaler.state_dict(),
            "log": tlog.state(),
            "state": dict(state),
        },
    )


def load_checkpoint(path: Path, config, model, opt, sched, scaler, tlog) -> dict:
    """Restore a checkpoint into freshly built objects; returns the loop position."""
    ckpt = read_state(path)
    if _filled(ckpt.get("config")) != config.to_dict():
        raise TemdefectsError(
            f"{path.parent.parent}: the configuration differs from the run "
            "being resumed (resume with the same CONFIG)"
        )
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    scaler.load_state_dict(ckpt["scaler"])
    tlog.restore(ckpt["log"])
    return ckpt["state"]


def _filled(stored) -> dict | None:
    """A stored configuration with the defaults of fields added since it was written."""
    if not isinstance(stored, dict):
        return None
    try:
        return train_config_from_dict(stored).to_dict()
    except (ConfigError, TypeError, AttributeError):
        return None  # not a configuration: it differs
