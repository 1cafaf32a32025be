"""Nanoparticles in HRTEM: the two-step pipeline of Groschner, Choi & Scott (2021).

A U-Net segments particles from the amorphous support; a classifier on
per-particle features tells ``fault`` (stacking faults, twins), ``no_fault``
and ``no_fringes`` apart. See ``docs/particles.md``.

* :func:`train_particle_model` trains both into one model folder from a folder
  written by ``temdefects particles synth``;
* :func:`load_particle_model` / :func:`analyze_particles` run it on an image;
* :func:`evaluate_particle_model` measures it on a generated folder;
* the parts: :func:`label_particles` (mask -> instances),
  :func:`particle_features` (:data:`FEATURE_NAMES`), :func:`train_classifiers`.

>>> import numpy as np
>>> yy, xx = np.mgrid[:64, :64]
>>> mask = (yy - 32) ** 2 + (xx - 32) ** 2 < 20**2
>>> int(label_particles(mask).max())
1
"""

from temdefects.particles.classify import (
    ParticleClassifier,
    load_classifier,
    save_classifier,
    train_classifiers,
)
from temdefects.particles.config import (
    ClassifierConfig,
    FeatureConfig,
    InstanceConfig,
    ParticleTrainConfig,
    particle_train_config,
)
from temdefects.particles.evaluate import evaluate_particle_model
from temdefects.particles.features import FEATURE_NAMES, label_features, particle_features
from temdefects.particles.instances import estimate_diameter, label_particles, touches_border
from temdefects.particles.pipeline import (
    ParticleModel,
    ParticleResult,
    analyze_particles,
    default_particle_model_path,
    load_particle_model,
)
from temdefects.particles.training import train_particle_model

__all__ = [
    "FEATURE_NAMES",
    "ClassifierConfig",
    "FeatureConfig",
    "InstanceConfig",
    "ParticleClassifier",
    "ParticleModel",
    "ParticleResult",
    "ParticleTrainConfig",
    "analyze_particles",
    "default_particle_model_path",
    "estimate_diameter",
    "evaluate_particle_model",
    "label_features",
    "label_particles",
    "load_classifier",
    "load_particle_model",
    "particle_features",
    "particle_train_config",
    "save_classifier",
    "touches_border",
    "train_classifiers",
    "train_particle_model",
]
