"""Resolving a particle-generator configuration: built-in preset, file, overrides.

The presets are YAML files in ``temdefects/synth/particles/presets``
(``default``); :func:`dump_particle_config` writes a resolved configuration
back as YAML for editing.
"""

from __future__ import annotations

import os

import yaml

from temdefects.schema import parse_section
from temdefects.synth.config import merge_sources, package_preset_dict, package_presets
from temdefects.synth.particles.config import ParticleSynthConfig


def list_particle_presets() -> list[str]:
    """Names of the built-in presets of the particle generator."""
    return package_presets("temdefects.synth.particles")


def particle_preset_dict(name: str) -> dict:
    """The raw mapping of a built-in preset."""
    return package_preset_dict("temdefects.synth.particles", name)


def particle_config_from_dict(data: dict) -> ParticleSynthConfig:
    """Validate a plain mapping into a :class:`ParticleSynthConfig`.

    Raises
    ------
    ConfigError
        Unknown or out-of-range parameters; the message starts with the field's dotted path.
    """
    return parse_section(ParticleSynthConfig, data, "")


def load_particle_config(
    preset: str | None = "default",
    path: str | os.PathLike | None = None,
    overrides: dict | None = None,
) -> ParticleSynthConfig:
    """Resolve a configuration: preset, then a YAML/JSON file, then overrides.

    Parameters
    ----------
    preset
        Name of a built-in preset, or None to start from the dataclass defaults.
    path
        Optional YAML/JSON file whose values replace the preset's.
    overrides
        Optional mapping applied last.

    Examples
    --------
    >>> cfg = load_particle_config(overrides={"size": [256, 256], "pixel_size": 30})
    >>> cfg.size
    (256, 256)
    """
    data = particle_preset_dict(preset) if preset else {}
    return particle_config_from_dict(merge_sources(data, path, overrides))


def dump_particle_config(config: ParticleSynthConfig) -> str:
    """YAML text of a fully resolved configuration."""
    return yaml.safe_dump(config.to_dict(), sort_keys=False, default_flow_style=None)


__all__ = [
    "dump_particle_config",
    "list_particle_presets",
    "load_particle_config",
    "particle_config_from_dict",
    "particle_preset_dict",
]
