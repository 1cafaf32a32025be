"""A tiny dislocation training run for tests: 64 px frames, a 4-channel mobilenet U-Net."""

from pathlib import Path

import yaml

from temdefects.synth.config import load_config
from temdefects.synth.dislocations.dataset import generate_dataset


def tiny_train_config(
    tmp_path: Path, *, count: int = 8, batch_size: int = 2, epochs: int = 40, every: int = 40
) -> Path:
    """Write a generated folder and a training config that uses it; the config's path."""
    data = tmp_path / "set"
    small = {"size": [64, 64], "microstructure": {"max_dislocations": 3}, "artifacts": {"dirt": 0}}
    generate_dataset(data, load_config("m2", overrides=small), count=count, seed=2, progress=False)
    config = {
        "seed": 1,
        "device": "cpu",
        "model": {"arch": "unet", "encoder": "mobilenet_v2", "n_masks": 4, "decoder_base": 4},
        "data": {
            "source": "folder",
            "folder": str(data),
            "test_images": 2,
            "crop": 0,
            "batch_size": batch_size,
            "min_mask_pixels": 1,
        },
        "loss": {"matching": "hungarian"},
        "optim": {"lr": 3e-3, "epochs": epochs, "warmup": 0.0, "checkpoint_every": 1000},
        "eval": {"every": every},
    }
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(config))
    return path
