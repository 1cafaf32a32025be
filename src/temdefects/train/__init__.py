"""Training: datasets, augmentation, the loop, checkpoints (``temdefects train``)."""

from temdefects.train.config import TrainConfig, load_train_config, train_config_from_dict
from temdefects.train.loop import train

__all__ = ["TrainConfig", "load_train_config", "train", "train_config_from_dict"]
