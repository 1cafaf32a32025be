"""Synthetic HRTEM/HAADF images of fcc nanoparticles on an amorphous support.

Training data for the particle pipeline of Groschner, Choi & Scott (2021): a
segmentation of particles from the support and a per-particle classification
into ``fault`` (stacking faults or twins), ``no_fault`` and ``no_fringes``.
NumPy, SciPy and OpenCV only. See ``docs/particles_synth.md``.

>>> from temdefects.synth.particles import (
...     load_particle_config, sample_particle_scene, render_particle_scene)
>>> small = {"size": [128, 128], "particles": {"count": 2, "diameter": 1.0}}
>>> cfg = load_particle_config(overrides=small)
>>> sample = render_particle_scene(sample_particle_scene(cfg, rng=0))
>>> int(sample.labels.max()) == len(sample.particles)
True
"""

from temdefects.synth.particles.config import CLASSES, ParticleSynthConfig
from temdefects.synth.particles.dataset import ParticleRunReport, generate_particle_dataset
from temdefects.synth.particles.files import (
    RECORD_FORMAT,
    generate_particle_image,
    make_particle_record,
    read_particle_record,
    read_particle_sample,
    replay_particle_record,
    write_particle_sample,
)
from temdefects.synth.particles.loading import (
    dump_particle_config,
    list_particle_presets,
    load_particle_config,
    particle_config_from_dict,
)
from temdefects.synth.particles.preview import particle_preview
from temdefects.synth.particles.render import ParticleSample, render_particle_scene
from temdefects.synth.particles.scene import SCENE_FORMAT, sample_particle_scene

__all__ = [
    "CLASSES",
    "RECORD_FORMAT",
    "SCENE_FORMAT",
    "ParticleRunReport",
    "ParticleSample",
    "ParticleSynthConfig",
    "dump_particle_config",
    "generate_particle_dataset",
    "generate_particle_image",
    "list_particle_presets",
    "load_particle_config",
    "make_particle_record",
    "particle_config_from_dict",
    "particle_preview",
    "read_particle_record",
    "read_particle_sample",
    "render_particle_scene",
    "replay_particle_record",
    "sample_particle_scene",
    "write_particle_sample",
]
