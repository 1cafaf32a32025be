"""Resolving a particle-generator configuration: built-in preset, file, overrides.

The presets are YAML files in ``temdefects/synth/particles/presets``
(``default``); :func:`dump_particle_config` writes a resolved configuration
back as YAML for editing.
"""

from __future__ import annotations

from temdefects.synth.config import ConfigFamily
from temdefects.synth.particles.config import ParticleSynthConfig

PARTICLES = ConfigFamily(ParticleSynthConfig, "temdefects.synth.particles", "default")
list_particle_presets = PARTICLES.presets
particle_preset_dict = PARTICLES.preset_dict
particle_config_from_dict = PARTICLES.from_dict
load_particle_config = PARTICLES.load  # e.g. load_particle_config(overrides={"pixel_size": 30})
dump_particle_config = PARTICLES.dump


__all__ = [
    "dump_particle_config",
    "list_particle_presets",
    "load_particle_config",
    "particle_config_from_dict",
    "particle_preset_dict",
]
