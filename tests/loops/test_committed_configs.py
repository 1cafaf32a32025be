"""Every committed loop training config and generator override file validates."""

from pathlib import Path

import pytest
import yaml

from temdefects.loops.train_config import loop_train_config
from temdefects.synth.loops import load_loop_config

ROOT = Path(__file__).resolve().parents[2]
TRAIN = sorted((ROOT / "configs").glob("loops-*.yaml"))
SYNTH = sorted((ROOT / "configs").glob("synth-loops-*.yaml"))


@pytest.mark.parametrize("path", TRAIN, ids=lambda p: p.stem)
def test_loop_training_configs_parse(path):
    config = loop_train_config(yaml.safe_load(path.read_text()))
    assert config.name.startswith("loops-")  # stage records keep the name they ran under


@pytest.mark.parametrize("path", SYNTH, ids=lambda p: p.stem)
def test_loop_generator_overrides_parse_on_their_preset(path):
    text = path.read_text()
    preset = text.split("--preset ", 1)[1].split()[0]  # the command in the header names it
    config = load_loop_config(preset, overrides=yaml.safe_load(text))
    assert config.artifacts.jpeg_probability > 0 and config.artifacts.bend_contours.hi > 0


def test_there_are_configs_to_check():
    assert TRAIN and SYNTH
