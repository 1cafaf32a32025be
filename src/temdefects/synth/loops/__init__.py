"""Synthetic TEM/STEM images of dislocation loops and black dots with exact labels.

The three defect classes of Shen et al. (2021) in irradiated bcc steels:
``loop111`` (a0/2<111> loops, an open ellipse drawn as one dark ring),
``loop100`` (a0<100> loops, a double ring or a solid ellipse) and ``dot``
(black dots). NumPy, SciPy and OpenCV only. See ``docs/loops_synth.md``.

Sampling draws every random choice into a JSON-compatible scene
(:func:`sample_loop_scene`); rendering is a pure function of it
(:func:`render_loop_scene`).
"""

from temdefects.synth.loops.config import (
    CLASSES,
    LoopSynthConfig,
    dump_loop_config,
    list_loop_presets,
    load_loop_config,
    loop_config_from_dict,
)
from temdefects.synth.loops.dataset import LoopRunReport, generate_loop_dataset
from temdefects.synth.loops.files import (
    read_loop_record,
    read_loop_sample,
    replay_loop_record,
)
from temdefects.synth.loops.preview import loop_preview
from temdefects.synth.loops.render import LoopSample, render_loop_scene
from temdefects.synth.loops.scene import generate_loop, sample_loop_scene

__all__ = [
    "CLASSES",
    "LoopRunReport",
    "LoopSample",
    "LoopSynthConfig",
    "dump_loop_config",
    "generate_loop",
    "generate_loop_dataset",
    "list_loop_presets",
    "load_loop_config",
    "loop_config_from_dict",
    "loop_preview",
    "read_loop_record",
    "read_loop_sample",
    "render_loop_scene",
    "replay_loop_record",
    "sample_loop_scene",
]
