"""Tiny fixtures for the evaluation tests: 64x64 generated data and an untrained U-Net."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from temdefects.models import build_model, save_model
from temdefects.synth.config import load_config
from temdefects.synth.dislocations.dataset import generate_dataset

TINY = {"arch": "unet", "encoder": "mobilenet_v2", "n_masks": 4, "decoder_base": 4}


def make_dataset(folder: Path, *, count: int = 3, seed: int = 0, size=(64, 64)) -> Path:
    """A generated data folder of ``count`` noise-free images of ``size``."""
    overrides = {"size": list(size), "drawing": {"noise": {"probability": 0.0}}}
    generate_dataset(
        folder, load_config("m2", overrides=overrides), count=count, seed=seed, progress=False
    )
    return folder


def make_model(folder: Path, *, seed: int = 0) -> Path:
    """A model folder with an untrained tiny U-Net (seeded, global RNG untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(TINY)
    return save_model(folder, model)


def copy_sample(source: Path, name: str, target: Path, new_name: str) -> None:
    """Copy one sample under a new stem, rewriting its record's file names."""
    for suffix in (".png", ".npz", ".csv"):
        shutil.copyfile(source / f"{name}{suffix}", target / f"{new_name}{suffix}")
    record = json.loads((source / f"{name}.json").read_text())
    record["index"] = int(new_name)
    record["files"] = {k: f"{new_name}{Path(v).suffix}" for k, v in record["files"].items()}
    (target / f"{new_name}.json").write_text(json.dumps(record))
