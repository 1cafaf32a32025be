"""Configuration: presets, validation messages, documentation."""

from pathlib import Path

import pytest
import yaml

from temdefects.errors import ConfigError
from temdefects.schema import describe
from temdefects.synth.loops.config import (
    CLASSES,
    LoopSynthConfig,
    dump_loop_config,
    list_loop_presets,
    load_loop_config,
    loop_config_from_dict,
)

ROOT = Path(__file__).resolve().parents[3]


def test_presets():
    assert list_loop_presets() == [
        "bf-blobs",
        "bf-blobs-shen",
        "bf-shen",
        "default",
        "irradiated-bf",
        "loop111-steel",
    ]
    default = load_loop_config("default")
    assert all(getattr(default, c).count.hi > 0 for c in CLASSES)
    steel = load_loop_config("loop111-steel")
    mean = {c: (getattr(steel, c).count.lo + getattr(steel, c).count.hi) / 2 for c in CLASSES}
    assert mean["loop111"] > 2 * (mean["loop100"] + mean["dot"])
    # bf-blobs: the irradiated-bf look with larger, mostly filled loops and larger dots
    bf, blobs = load_loop_config("irradiated-bf"), load_loop_config("bf-blobs")
    assert blobs.loop111.diameter.hi > bf.loop111.diameter.hi
    assert blobs.loop111.solid_probability > bf.loop111.solid_probability
    assert blobs.dot.diameter.hi > bf.dot.diameter.hi
    # bf-shen: Shen et al.'s morphology classes; <111> loops are never filled
    shen = load_loop_config("bf-shen")
    assert shen.loop111.solid_probability == 0 and shen.loop100.count.lo > 0
    assert shen.dot.count.hi > bf.dot.count.hi
    # bf-blobs-shen: the bf-blobs look, its filled blobs drawn as <100> loops
    solid = load_loop_config("bf-blobs-shen")
    assert solid.loop111.solid_probability == 0
    assert solid.loop100.diameter == blobs.loop111.diameter


def test_round_trip_through_yaml(tmp_path):
    config = load_loop_config("loop111-steel", overrides={"size": [64, 80]})
    path = tmp_path / "c.yaml"
    path.write_text(dump_loop_config(config))
    assert load_loop_config(None, path) == config
    assert loop_config_from_dict(yaml.safe_load(path.read_text())) == config
    assert config.size == (64, 80)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"loop111": {"diameter": [60, 8]}}, "loop111.diameter"),
        ({"loop111": {"ring_width": 0}}, "loop111.ring_width[0]"),
        ({"loop100": {"double_probability": 1.5}}, "loop100.double_probability"),
        ({"loop100": {"colour": 1}}, "loop100.colour: unknown parameter"),
        ({"dot": {"aspect": [0.5, 1.5]}}, "dot.aspect[1]"),
        ({"dot": {"count": [1.5, 3]}}, "dot.count[0]: expected an integer"),
        ({"orientation": {"directions": 0}}, "orientation.directions[0]"),
        ({"placement": {"max_overlap": -0.1}}, "placement.max_overlap"),
        ({"placement": {"inside": "yes"}}, "placement.inside"),
        ({"dislocations": {"profiles": ["wavy"]}}, "dislocations.profiles[0]"),
        ({"background": {"low": 0.9, "high": 0.2}}, "background.low"),
        ({"noise": {"sigma": "lots"}}, "noise.sigma"),
        ({"scale": 0}, "scale[0]"),
        ({"size": [8, 8]}, "size[0]"),
    ],
)
def test_errors_name_the_field(overrides, field):
    with pytest.raises(ConfigError) as err:
        load_loop_config("default", overrides=overrides)
    assert str(err.value).startswith(field)


def test_unknown_preset():
    with pytest.raises(ConfigError, match="preset: unknown preset 'm9'.*default"):
        load_loop_config("m9")


def test_every_parameter_is_documented():
    text = (ROOT / "docs" / "loops_synth.md").read_text()
    missing = [name for name, _, _ in describe(LoopSynthConfig) if f"`{name}`" not in text]
    assert not missing, f"parameters missing from docs/loops_synth.md: {missing}"
