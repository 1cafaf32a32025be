import json

import pytest
import yaml

from temdefects.errors import ConfigError, InputFileError
from temdefects.schema import Range
from temdefects.synth.config import (
    SynthConfig,
    config_from_dict,
    dump_config,
    list_presets,
    load_config,
    preset_dict,
)


def test_presets_exist_and_load():
    assert {"m1", "m2", "dense"} <= set(list_presets())
    for name in list_presets():
        cfg = load_config(name)
        assert cfg.name == name
        assert isinstance(cfg.microstructure.pileups.count, Range)


def test_m2_matches_the_paper():
    cfg = load_config("m2")
    p = cfg.background.perlin  # Table 1
    assert (p.wavelength1.lo, p.wavelength1.hi) == (10, 100)
    assert (p.w_perlin.lo, p.w_perlin.hi) == (0.2, 0.4)
    assert (p.w_white.lo, p.w_white.hi) == (0.5, 0.7)
    assert (p.s1.lo, p.s1.hi) == (1.0, 1.0)
    assert (p.noise_density.lo, p.noise_density.hi) == (0.2, 0.4)
    assert (p.s2.lo, p.s2.hi) == (0.6, 0.8)
    m = cfg.microstructure
    assert m.max_dislocations == 20 and m.pileups.dislocations.hi == 8


def test_dense_preset_covers_rd2():
    m = load_config("dense").microstructure
    assert m.pileups.dislocations.hi >= 14 and m.pileups.spacing.lo <= 3


def test_dump_round_trip():
    for name in list_presets():
        cfg = load_config(name)
        assert config_from_dict(yaml.safe_load(dump_config(cfg))) == cfg


@pytest.mark.parametrize(
    "data,where",
    [
        ({"microstructure": {"pileups": {"cuont": 3}}}, r"microstructure\.pileups\.cuont: unknown"),
        ({"drawing": {"line_width": [3, 1]}}, r"drawing\.line_width: lower end"),
        ({"drawing": {"contrast": [0.2, 1.5]}}, r"drawing\.contrast\[1\]: must be <= 1"),
        (
            {"microstructure": {"pileups": {"count": [1, 2.5]}}},
            r"microstructure\.pileups\.count\[1\]: expected an integer",
        ),
        (
            {"microstructure": {"max_dislocations": "many"}},
            r"microstructure\.max_dislocations: expected a number",
        ),
        ({"background": {"kind": "fractal"}}, r"background\.kind: expected one of"),
        ({"drawing": {"profiles": ["flat", "neon"]}}, r"drawing\.profiles\[1\]: expected one of"),
        ({"slip_traces": {"probability": 2}}, r"slip_traces\.probability: must be <= 1"),
        ({"size": [512]}, r"size: expected \[height, width\]"),
        (
            {"drawing": {"line_blur": "wide"}},
            r"drawing\.line_blur: expected a number or \[min, max\]",
        ),
        ({"background": {"low": [0.5, 0.7], "high": [0.6, 0.9]}}, r"background\.low: upper end"),
        ({"microstructure": {"gaps_in_mask": 1}}, r"microstructure\.gaps_in_mask: expected true"),
        ({"background": {"perlin": []}}, r"background\.perlin: expected a mapping"),
    ],
)
def test_validation_names_the_field(data, where):
    with pytest.raises(ConfigError, match=where):
        config_from_dict(data)


def test_scalar_fixes_a_range():
    cfg = config_from_dict({"drawing": {"line_width": 2}})
    assert cfg.drawing.line_width == Range(2.0, 2.0)


def test_file_merges_over_preset(tmp_path):
    path = tmp_path / "my.yaml"
    path.write_text("microstructure:\n  pileups:\n    count: 2\n")
    cfg = load_config("m1", path)
    assert cfg.microstructure.pileups.count == Range(2, 2, True)
    assert (
        cfg.microstructure.pileups.dislocations
        == load_config("m1").microstructure.pileups.dislocations
    )
    jpath = tmp_path / "my.json"
    jpath.write_text(json.dumps({"size": [64, 96]}))
    assert load_config("m2", jpath).size == (64, 96)


def test_bad_files(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        load_config("m2", tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    with pytest.raises(InputFileError, match="cannot parse"):
        load_config("m2", bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config("m2", lst)
    with pytest.raises(ConfigError, match="unknown preset"):
        preset_dict("m3")


def test_defaults_are_valid():
    assert SynthConfig().to_dict()["size"] == [512, 512]
