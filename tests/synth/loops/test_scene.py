"""Sampling: determinism, counts, sizes, orientations and placement."""

import json

import numpy as np

from temdefects.synth.loops.config import CLASSES
from temdefects.synth.loops.render import render_loop_scene
from temdefects.synth.loops.scene import generate_loop, sample_loop_scene
from temdefects.synth.scene import image_rng

from .helpers import quiet_config

SPARSE = {
    "loop111": {"count": [1, 4], "diameter": [8, 20]},
    "loop100": {"count": [1, 3], "diameter": [8, 20]},
    "dot": {"count": [2, 6]},
}


def test_same_seed_same_image_other_index_other_image():
    config = quiet_config(noise={"probability": 1.0}, dislocations={"count": 2})
    a, b, c = generate_loop(config, 5, 0), generate_loop(config, 5, 0), generate_loop(config, 5, 1)
    assert np.array_equal(a.image, b.image) and a.labels == b.labels
    assert json.loads(json.dumps(a.scene)) == a.scene  # JSON-compatible, nothing lost
    assert not np.array_equal(a.image, c.image)


def test_counts_classes_sizes_and_boxes():
    config = quiet_config(size=(128, 128), **SPARSE)
    for i in range(6):
        s = generate_loop(config, 1, i)
        scene = s.scene
        assert scene["dropped"] == dict.fromkeys(CLASSES, 0)
        assert len(s.labels) == len(s.masks) == len(scene["defects"])
        for cls in CLASSES:
            n = sum(lab["class"] == cls for lab in s.labels)
            rng = getattr(config, cls).count
            assert rng.lo <= n <= rng.hi and n == scene["requested"][cls]
        for k, (lab, d) in enumerate(zip(s.labels, scene["defects"], strict=True)):
            assert lab["mask"] == k
            size = getattr(config, lab["class"])
            assert size.diameter.lo - 1e-9 <= d["major"] <= size.diameter.hi + 1e-9
            aspect = d["minor"] / d["major"]
            assert size.aspect.lo - 1e-9 <= aspect <= size.aspect.hi + 1e-9
            assert {"loop111": {"ring"}, "loop100": {"double", "solid"}, "dot": {"dot"}}[
                lab["class"]
            ] >= {lab["style"]}
            if lab["style"] == "ring":
                assert d["width"] <= d["minor"] / 4 + 1e-9  # the centre stays open
            x, y, w, h = lab["box"]
            m = s.masks[k]
            rows, cols = np.nonzero(m)
            assert (x, y, w, h) == (
                cols.min(),
                rows.min(),
                cols.max() - cols.min() + 1,
                rows.max() - rows.min() + 1,
            )
            assert 0 <= x and x + w <= 128 and 0 <= y and y + h <= 128


def overlaps(masks):
    """Fraction of each mask covered by the masks before it."""
    union = np.zeros(masks.shape[1:], bool)
    out = []
    for m in masks:
        out.append((m & union).sum() / m.sum())
        union |= m
    return np.array(out)


def test_overlap_limit_is_respected_in_crowded_images():
    crowd = {
        "loop111": {"count": 30, "diameter": [10, 30]},
        "loop100": {"count": 10, "diameter": [10, 30]},
        "dot": {"count": 20},
    }
    limited = generate_loop(quiet_config(placement={"max_overlap": 0.1}, **crowd), 3, 0)
    free = generate_loop(quiet_config(placement={"max_overlap": 1.0}, **crowd), 3, 0)
    assert overlaps(free.masks).max() > 0.3  # crowded enough for the limit to matter
    assert overlaps(limited.masks).max() <= 0.1
    assert sum(limited.scene["dropped"].values()) > 0


def test_placement_inside_keeps_whole_ellipses_in_the_image():
    big = {"loop111": {"count": 6, "diameter": [30, 50]}, "loop100": {"count": 0}}
    for inside in (True, False):
        config = quiet_config(size=(64, 64), placement={"inside": inside}, dot={"count": 0}, **big)
        cut = 0
        for i in range(4):
            s = generate_loop(config, 2, i)
            for lab in s.labels:
                cx, cy, major, minor, angle = lab["ellipse"]
                t = np.radians(angle)
                ex = np.hypot(major / 2 * np.cos(t), minor / 2 * np.sin(t))
                ey = np.hypot(major / 2 * np.sin(t), minor / 2 * np.cos(t))
                cut += min(cx - ex, cy - ey) < -0.5 or max(cx + ex, cy + ey) > 63.5
        assert (cut == 0) == inside


def test_preferred_directions():
    config = quiet_config(
        orientation={"preferred_probability": 1.0, "directions": 1, "jitter": 0.0}, **SPARSE
    )
    angles = [lab["ellipse"][4] for lab in generate_loop(config, 4, 0).labels]
    assert len(angles) > 3 and np.ptp(angles) < 1e-9
    uniform = quiet_config(orientation={"preferred_probability": 0.0}, **SPARSE)
    assert np.ptp([lab["ellipse"][4] for lab in generate_loop(uniform, 4, 0).labels]) > 10


def test_distractors_are_drawn_but_never_labelled():
    config = quiet_config(loop111={"count": 0}, loop100={"count": 0}, dot={"count": 0})
    scene = sample_loop_scene(config, image_rng(0, 0))
    plain = render_loop_scene(scene)
    scene["dislocations"] = sample_loop_scene(
        quiet_config(dislocations={"count": 3, "length": 0.8}), image_rng(0, 0)
    )["dislocations"]
    scene["artifacts"]["dirt"] = [
        {"blobs": [[40.0, 40.0, 4.0, 3.0, 0.0]], "contrast": 0.5, "blur": 1.0}
    ]
    busy = render_loop_scene(scene)
    assert len(busy.labels) == 0 and busy.masks.shape == (0, 96, 96)
    assert (busy.image.astype(int) < plain.image.astype(int) - 20).sum() > 50


def test_scale_multiplies_sizes():
    config = quiet_config(
        scale=2.0,
        loop111={"count": 3, "diameter": 10},
        **{"loop100": {"count": 0}, "dot": {"count": 0}},
    )
    scene = generate_loop(config, 0, 0).scene
    assert scene["scale"] == 2.0
    assert all(abs(d["major"] - 20.0) < 1e-9 for d in scene["defects"])
