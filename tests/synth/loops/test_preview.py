"""Preview grid with class-coloured boxes."""

import numpy as np
import pytest

from temdefects.synth.loops.preview import CLASS_COLOURS, loop_preview
from temdefects.synth.loops.render import render_loop_scene

from .helpers import defect, flat_scene


def test_boxes_are_coloured_by_class():
    ring = defect()
    dot = defect(**{"class": "dot"}, style="dot", major=5.0, minor=5.0, cx=56.0, cy=57.0)
    sample = render_loop_scene(flat_scene([ring, dot]))
    grid = loop_preview([sample, sample, sample], columns=2, cell=128)
    assert grid.shape == (2 * 128 + 8, 2 * 128 + 8, 3) and grid.dtype == np.uint8
    tile = grid[:128, :128]
    for cls in ("loop111", "dot"):
        assert (tile == CLASS_COLOURS[cls]).all(axis=-1).sum() > 10
    assert not (tile == CLASS_COLOURS["loop100"]).all(axis=-1).any()


def test_rejects_empty_input():
    with pytest.raises(ValueError, match="no samples"):
        loop_preview([])
