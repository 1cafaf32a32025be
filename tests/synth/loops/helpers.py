"""Small builders for the loop-generator tests."""

import copy

from temdefects.synth.loops.config import load_loop_config
from temdefects.synth.loops.scene import sample_loop_scene
from temdefects.synth.scene import image_rng

QUIET = {
    "artifacts": {"dirt": 0, "grain_boundary_probability": 0.0, "vignetting_probability": 0.0},
    "noise": {"probability": 0.0},
    "dislocations": {"count": 0},
}
NONE = {"loop111": {"count": 0}, "loop100": {"count": 0}, "dot": {"count": 0}}
LEVEL = 0.7  # grey level of flat backgrounds


def quiet_config(size=(96, 96), preset="default", **sections):
    """No distractors or noise; sections replace the preset's values."""
    data = {"size": list(size), **copy.deepcopy(QUIET)}
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return load_loop_config(preset, overrides=data)


def flat_scene(defects, size=(64, 64)):
    """A scene on a flat background of grey ``LEVEL`` holding exactly ``defects``."""
    config = quiet_config(size, **NONE, background={"low": LEVEL, "high": LEVEL})
    scene = sample_loop_scene(config, image_rng(0, 0))
    scene["defects"] = [defect(**d) for d in defects]
    return scene


def defect(**values):
    """A defect entry with neutral defaults (a sharp ring in the middle of 64x64)."""
    out = {
        "class": "loop111",
        "style": "ring",
        "cx": 31.3,
        "cy": 32.2,
        "major": 40.0,
        "minor": 30.0,
        "angle": 25.0,
        "width": 3.0,
        "gap": 0.0,
        "fill": 0.0,
        "contrast": 0.6,
        "blur": 0.0,
        "asymmetry": 0.0,
        "phase": 0.0,
    }
    out.update(values)
    return out
