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
>>> from temdefects.particles import label_particles
>>> yy, xx = np.mgrid[:64, :64]
>>> mask = (yy - 32) ** 2 + (xx - 32) ** 2 < 20**2
>>> int(label_particles(mask).max())
1
"""

#: Where each public name lives; imported on first use (PEP 562), so that a
#: command that only checks its inputs does not pay for torch and scikit-learn.
_SOURCES = {
    "ClassifierConfig": "temdefects.particles.config",
    "FEATURE_NAMES": "temdefects.particles.features",
    "FeatureConfig": "temdefects.particles.config",
    "InstanceConfig": "temdefects.particles.config",
    "ParticleClassifier": "temdefects.particles.classify",
    "ParticleModel": "temdefects.particles.pipeline",
    "ParticleResult": "temdefects.particles.pipeline",
    "ParticleTrainConfig": "temdefects.particles.config",
    "BUILTIN_PARTICLE_MODELS": "temdefects.particles.pipeline",
    "analyze_particles": "temdefects.particles.pipeline",
    "default_particle_model_path": "temdefects.particles.pipeline",
    "estimate_diameter": "temdefects.particles.instances",
    "evaluate_particle_model": "temdefects.particles.evaluate",
    "label_features": "temdefects.particles.features",
    "label_particles": "temdefects.particles.instances",
    "load_classifier": "temdefects.particles.classify",
    "load_particle_model": "temdefects.particles.pipeline",
    "particle_features": "temdefects.particles.features",
    "particle_model_path": "temdefects.particles.pipeline",
    "particle_train_config": "temdefects.particles.config",
    "save_classifier": "temdefects.particles.classify",
    "touches_border": "temdefects.particles.instances",
    "train_classifiers": "temdefects.particles.classify",
    "train_particle_model": "temdefects.particles.training",
}


def __getattr__(name: str):
    if name in _SOURCES:
        import importlib

        value = getattr(importlib.import_module(_SOURCES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SOURCES))


__all__ = [
    "FEATURE_NAMES",
    "ClassifierConfig",
    "FeatureConfig",
    "InstanceConfig",
    "ParticleClassifier",
    "ParticleModel",
    "ParticleResult",
    "ParticleTrainConfig",
    "BUILTIN_PARTICLE_MODELS",
    "analyze_particles",
    "default_particle_model_path",
    "estimate_diameter",
    "evaluate_particle_model",
    "label_features",
    "label_particles",
    "load_classifier",
    "load_particle_model",
    "particle_features",
    "particle_model_path",
    "particle_train_config",
    "save_classifier",
    "touches_border",
    "train_classifiers",
    "train_particle_model",
]
