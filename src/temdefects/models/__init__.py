"""Model factory and the self-describing model folder.

``build_model(config)`` makes a fresh network, ``save_model(folder, model)``
writes ``config.json`` + ``model.safetensors`` (+ ``metrics.json``), and
``load(folder)`` rebuilds it in eval mode; ``predict(model, image)`` returns mask
probabilities for numpy images.
"""

from temdefects.models.config import ARCHITECTURES, ModelConfig
from temdefects.models.folder import (
    BUILTIN_MODELS,
    default_model_path,
    load,
    model_path,
    read_config,
    save_model,
)
from temdefects.models.net import DislocationNet, build_model
from temdefects.models.predict import predict

__all__ = [
    "ARCHITECTURES",
    "BUILTIN_MODELS",
    "DislocationNet",
    "ModelConfig",
    "build_model",
    "default_model_path",
    "load",
    "model_path",
    "predict",
    "read_config",
    "save_model",
]
