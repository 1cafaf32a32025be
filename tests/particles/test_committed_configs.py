"""Every committed particle training config and generator override file validates."""

from pathlib import Path

import pytest
import yaml

from temdefects.particles.config import particle_train_config
from temdefects.synth.particles.loading import load_particle_config

ROOT = Path(__file__).resolve().parents[2]
TRAIN = sorted((ROOT / "configs").glob("particles-*.yaml"))
SYNTH = sorted((ROOT / "configs").glob("synth-particles-*.yaml"))


@pytest.mark.parametrize("path", TRAIN, ids=lambda p: p.stem)
def test_particle_training_configs_parse(path):
    config = particle_train_config(yaml.safe_load(path.read_text()))
    assert config.name.startswith("particles-")


@pytest.mark.parametrize("path", SYNTH, ids=lambda p: p.stem)
def test_particle_generator_overrides_parse_on_their_preset(path):
    text = path.read_text()
    preset = text.split("--preset ", 1)[1].split()[0]  # the command in the header names it
    config = load_particle_config(preset, overrides=yaml.safe_load(text))
    assert config.name == preset


def test_there_are_configs_to_check():
    assert TRAIN and SYNTH
