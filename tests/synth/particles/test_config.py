from pathlib import Path

import pytest

from temdefects.errors import ConfigError
from temdefects.schema import describe
from temdefects.synth.particles import (
    ParticleSynthConfig,
    dump_particle_config,
    list_particle_presets,
    load_particle_config,
    particle_config_from_dict,
)

ROOT = Path(__file__).resolve().parents[3]


def test_default_preset_equals_the_documented_defaults(tmp_path):
    assert "default" in list_particle_presets()
    cfg = load_particle_config("default")
    assert cfg.to_dict() == ParticleSynthConfig(name="default").to_dict()
    path = tmp_path / "c.yaml"
    path.write_text(dump_particle_config(cfg))
    assert load_particle_config(None, path) == cfg


@pytest.mark.parametrize(
    "data, field",
    [
        ({"particles": {"diameter": [5, 2]}}, "particles.diameter"),
        ({"particles": {"colour": 1}}, "particles.colour"),
        ({"classes": {"fault": 0.5}}, "classes"),
        ({"lattice": {"projections": ["100", "111"]}}, "lattice.projections"),
        ({"lattice": {"projections": ["001"]}}, r"lattice.projections\[0\]"),
        ({"pixel_size": 200}, "pixel_size"),
        ({"size": [64, 64], "particles": {"diameter": 3}}, "particles.diameter"),
        ({"imaging": {"dtype": "float32"}}, "imaging.dtype"),
        ({"imaging": {"modes": ["tem"]}}, r"imaging.modes\[0\]"),
        ({"defects": {"shift": 0.9}}, "defects.shift"),
        ({"support": {"ring_weight": [0.5, 1.5]}}, r"support.ring_weight\[1\]"),
    ],
)
def test_validation_errors_name_the_field(data, field):
    with pytest.raises(ConfigError, match=f"^{field}:"):
        particle_config_from_dict(data)


def test_faults_may_be_off_when_no_projection_shows_them():
    cfg = particle_config_from_dict(
        {
            "lattice": {"projections": ["100"]},
            "classes": {"fault": 0.0, "no_fault": 0.5, "no_fringes": 0.5},
        }
    )
    assert cfg.lattice.projections == ("100",)


def test_every_parameter_is_documented():
    text = (ROOT / "docs" / "particles_synth.md").read_text()
    missing = [name for name, _, _ in describe(ParticleSynthConfig) if f"`{name}`" not in text]
    assert not missing, f"parameters missing from docs/particles_synth.md: {missing}"
