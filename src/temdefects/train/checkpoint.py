"""Resumable training state: model, optimiser, schedule, scaler, log and position."""

from __future__ import annotations

import io
from pathlib import Path

import torch

from temdefects.errors import ConfigError, InputFileError, TemdefectsError
from temdefects.io.atomic import atomic_write_bytes
from temdefects.train.config import train_config_from_dict


def require_checkpoint(folder: Path, checkpoint: Path) -> None:
    """Raise the one "nothing to resume" error when ``folder / checkpoint`` is absent.

    ``checkpoint`` is relative to the run folder ``folder`` and is named in the message.
    """
    if not (Path(folder) / checkpoint).is_file():
        raise TemdefectsError(f"{folder}: nothing to resume (no {Path(checkpoint).as_posix()})")


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


def save_training(path: Path, config: dict, model, opt, sched, state: dict, **extra) -> None:
    """Write the resumable state of a training loop atomically.

    ``config`` (plain dict) is what a resumed run must match; ``extra`` entries
    (already plain, for example a scaler's ``state_dict()``) are stored beside.
    """
    write_state(
        path,
        {
            "config": config,
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict(),
            "state": dict(state),
            **extra,
        },
    )


def load_training(path: Path, config: dict, model, opt, sched, *, stored=lambda c: c) -> dict:
    """Restore model, optimiser and schedule from :func:`save_training`'s file.

    ``stored`` maps the file's configuration to what is compared with
    ``config`` (for example, filled with the defaults of newer fields). Returns
    the whole checkpoint (its ``state`` and extras).

    Raises
    ------
    TemdefectsError
        When the configuration differs from the run being resumed.
    """
    ckpt = read_state(path)
    if stored(ckpt.get("config")) != config:
        raise TemdefectsError(
            f"{path.parent.parent}: the configuration differs from the run "
            "being resumed (resume with the same CONFIG and flags)"
        )
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    return ckpt


def save_checkpoint(path: Path, config, model, opt, sched, scaler, tlog, state: dict) -> None:
    """Write ``checkpoints/last.pt`` atomically."""
    save_training(
        path,
        config.to_dict(),
        model,
        opt,
        sched,
        state,
        scaler=scaler.state_dict(),
        log=tlog.state(),
    )


def load_checkpoint(path: Path, config, model, opt, sched, scaler, tlog) -> dict:
    """Restore a checkpoint into freshly built objects; returns the loop position."""
    ckpt = load_training(path, config.to_dict(), model, opt, sched, stored=_filled)
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
