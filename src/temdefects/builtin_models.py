"""Models shipped with the package, and the names ``--model`` takes.

Kept free of heavy imports: the command line resolves a name while it parses.
The dislocation models' names live here; the particle models
(:mod:`temdefects.particles.pipeline`) and the loop model
(:mod:`temdefects.loops.model`) find their folders with the same helpers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Container
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent

#: Built-in name -> folder under ``temdefects/models/``.
BUILTIN_MODELS = {"default": "default", "insitu": "insitu"}
#: ``--model`` help of the dislocation commands.
MODEL_HELP = (
    "model folder, or a built-in: default (the paper's N-mask model, trained on generated "
    "m2 frames) or insitu (a one-mask U-Net for in-situ straining frames crossed by slip traces)"
)


def shipped_model_path(room: str, folder: str) -> Path:
    """Folder ``temdefects/<room>/<folder>`` of a model shipped with the package.

    >>> shipped_model_path("models", "insitu").parts[-3:]
    ('temdefects', 'models', 'insitu')
    """
    return _PACKAGE / room / folder


def resolve_model_path(
    path: str | os.PathLike | None, builtins: Container[str], shipped: Callable[..., Path]
) -> Path:
    """The folder ``path`` names: a folder, a name in ``builtins``, or None (the default).

    ``shipped()`` gives the default folder, ``shipped(name)`` a built-in's.
    A folder of that name in the working directory wins over the built-in.
    """
    if path is None:
        return shipped()
    if str(path) in builtins and not Path(path).is_dir():
        return shipped(str(path))
    return Path(path)


def default_model_path(name: str = "default") -> Path:
    """Folder of a model shipped with the package (:data:`BUILTIN_MODELS`).

    >>> default_model_path().name, default_model_path("insitu").name
    ('default', 'insitu')
    """
    return shipped_model_path("models", BUILTIN_MODELS[name])


def model_path(path: str | os.PathLike | None) -> Path:
    """The folder ``path`` names: a folder, a built-in model's name, or None (the default).

    A folder of that name in the working directory wins over the built-in.

    >>> model_path("insitu") == default_model_path("insitu"), str(model_path("runs/x"))
    (True, 'runs/x')
    """
    return resolve_model_path(path, BUILTIN_MODELS, default_model_path)


def model_argument(value: str) -> str:
    """``--model`` of the dislocation commands: a built-in name becomes its folder."""
    return str(model_path(value))
