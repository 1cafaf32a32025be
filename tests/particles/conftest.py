"""Fixtures of the particle-pipeline tests: one torch thread, a tiny folder and model."""

from __future__ import annotations

import pytest

from tests.particles.helpers import make_tiny_folder, one_torch_thread, tiny_train_config


@pytest.fixture(autouse=True)
def _one_torch_thread():
    with one_torch_thread():
        yield


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory):
    """Five generated 96 x 96 particle images."""
    return make_tiny_folder(tmp_path_factory.mktemp("tiny_particles"))


@pytest.fixture(scope="session")
def tiny_model(tiny_folder, tmp_path_factory):
    """A particle model folder trained for a few steps on ``tiny_folder``, and its metrics."""
    from temdefects.particles.training import train_particle_model

    out = tmp_path_factory.mktemp("tiny_model")
    cfg = tiny_train_config(data={"folder": str(tiny_folder)})
    with one_torch_thread():  # session fixtures start before the autouse one
        metrics = train_particle_model(cfg, out, overwrite=True, progress=False, log=lambda s: None)
    return out, metrics
