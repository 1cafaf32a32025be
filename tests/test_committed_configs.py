"""Every committed loop and particle training config and generator override file validates.

(The dislocation training configs have their own test in ``tests/train``.)
"""

from pathlib import Path

import pytest
import yaml

from temdefects.loops.train_config import loop_train_config
from temdefects.particles.config import particle_train_config
from temdefects.synth.loops import load_loop_config
from temdefects.synth.particles.loading import load_particle_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
FAMILIES = {"loops": loop_train_config, "particles": particle_train_config}
GENERATORS = {"loops": load_loop_config, "particles": load_particle_config}
TRAIN = [(f, p) for f in FAMILIES for p in sorted(CONFIGS.glob(f"{f}-*.yaml"))]
SYNTH = [(f, p) for f in GENERATORS for p in sorted(CONFIGS.glob(f"synth-{f}-*.yaml"))]


@pytest.mark.parametrize("family, path", TRAIN, ids=lambda v: getattr(v, "stem", v))
def test_training_configs_parse(family, path):
    config = FAMILIES[family](yaml.safe_load(path.read_text()))
    assert config.name.startswith(f"{family}-")  # stage records keep the name they ran under


@pytest.mark.parametrize("family, path", SYNTH, ids=lambda v: getattr(v, "stem", v))
def test_generator_overrides_parse_on_their_preset(family, path):
    text = path.read_text()
    preset = text.split("--preset ", 1)[1].split()[0]  # the command in the header names it
    config = GENERATORS[family](preset, overrides=yaml.safe_load(text))
    assert config.name == preset


def test_every_family_has_configs_to_check():
    assert {f for f, _ in TRAIN} == {f for f, _ in SYNTH} == set(FAMILIES)
