"""Tiny settings shared by the particle tests (and the particle CLI tests)."""

from __future__ import annotations

import contextlib

TINY_SYNTH = {
    "size": [96, 96],
    "pixel_size": 30,
    "particles": {"count": [2, 3], "diameter": [0.8, 1.1]},
}

QUIET_AUGMENT = {
    "noise_probability": 0.0,
    "brightness_probability": 0.0,
    "contrast_probability": 0.0,
    "equalize_probability": 0.0,
}


def tiny_train_config(**sections):
    """A training configuration that runs in about a second on one CPU thread."""
    from temdefects.particles.config import particle_train_config
    from temdefects.schema import deep_merge

    base = {
        "model": {"decoder_base": 4},
        "data": {"crop": 64, "batch_size": 4, "test_fraction": 0.2},
        "optim": {"epochs": 8, "lr": 5e-3, "warmup": 0.0},
        "augment": QUIET_AUGMENT,
        "classifier": {"n_estimators": 20, "boosting_iterations": 20},
    }
    return particle_train_config(deep_merge(base, sections))


def make_tiny_folder(folder, count: int = 5, seed: int = 0):
    """``count`` generated 96 x 96 particle images (2-3 particles of 27-37 px each)."""
    from temdefects.synth.particles import generate_particle_dataset, load_particle_config

    config = load_particle_config(overrides=TINY_SYNTH)
    generate_particle_dataset(folder, config, count=count, seed=seed)
    return folder


@contextlib.contextmanager
def one_torch_thread():
    """Tiny models run fastest on one thread; on a busy CPU more threads spin."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
