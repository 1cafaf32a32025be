"""Dislocation models shipped with the package, and the names ``--model`` takes.

Kept free of heavy imports: the command line resolves a name while it parses.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Built-in name -> folder under ``temdefects/models/``.
BUILTIN_MODELS = {"default": "default", "insitu": "insitu"}
#: ``--model`` help of the dislocation commands.
MODEL_HELP = (
    "model folder, or a built-in: default (the paper's N-mask model, trained on generated "
    "m2 frames) or insitu (a one-mask U-Net for in-situ straining frames crossed by slip traces)"
)


def default_model_path(name: str = "default") -> Path:
    """Folder of a model shipped with the package (:data:`BUILTIN_MODELS`).

    >>> default_model_path().name, default_model_path("insitu").name
    ('default', 'insitu')
    """
    return Path(__file__).resolve().parent / "models" / BUILTIN_MODELS[name]


def model_path(path: str | os.PathLike | None) -> Path:
    """The folder ``path`` names: a folder, a built-in model's name, or None (the default).

    A folder of that name in the working directory wins over the built-in.

    >>> model_path("insitu") == default_model_path("insitu"), str(model_path("runs/x"))
    (True, 'runs/x')
    """
    if path is None:
        return default_model_path()
    if str(path) in BUILTIN_MODELS and not Path(path).is_dir():
        return default_model_path(str(path))
    return Path(path)


def model_argument(value: str) -> str:
    """``--model`` of the dislocation commands: a built-in name becomes its folder."""
    return str(model_path(value))
