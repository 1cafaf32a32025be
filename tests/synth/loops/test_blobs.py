"""Soft blobs, filled <111> loops and inverted (HAADF-like) images of the loop generator."""

import numpy as np

from temdefects.synth.loops.config import list_loop_presets, load_loop_config
from temdefects.synth.loops.render import render_loop_scene
from temdefects.synth.loops.scene import generate_loop, sample_loop_scene
from temdefects.synth.scene import image_rng

from .helpers import NONE, quiet_config


def test_new_options_off_leave_default_scenes_unchanged():
    # off by default: no extra draws, so the default preset's defects do not change
    cfg = load_loop_config("default", overrides={"size": [128, 128]})
    on = load_loop_config(
        "default", overrides={"size": [128, 128], "dot": {"softness": [0.0, 0.0]}}
    )
    a, b = sample_loop_scene(cfg, image_rng(4, 2)), sample_loop_scene(on, image_rng(4, 2))
    assert a == b and a["invert"] is False
    assert all(d["style"] != "solid" for d in a["defects"] if d["class"] == "loop111")


def test_softness_adds_blur_in_proportion_to_size():
    base = {"count": 20, "diameter": [10, 30], "blur": [0.5, 0.5]}
    cfg = quiet_config((256, 256), **{**NONE, "dot": {**base, "softness": [0.3, 0.3]}})
    scene = sample_loop_scene(cfg, image_rng(1, 0))
    assert scene["defects"]
    for d in scene["defects"]:
        assert np.isclose(d["blur"], 0.5 + 0.3 * d["minor"])


def test_solid_loops_are_filled_blobs():
    cfg = quiet_config(
        (256, 256),
        **{
            **NONE,
            "loop111": {
                "count": 8,
                "diameter": [30, 40],
                "solid_probability": 1.0,
                "fill": [1.0, 1.0],
            },
        },
    )
    sample = render_loop_scene(sample_loop_scene(cfg, image_rng(2, 0)))
    assert sample.labels and all(lab["style"] == "solid" for lab in sample.labels)
    for lab in sample.labels:
        cx, cy = (int(round(v)) for v in lab["ellipse"][:2])
        # the centre is as dark as the rim: a filled blob, not an open ring
        assert sample.image[cy, cx] < 0.8 * np.median(sample.image)


def test_invert_makes_bright_defects_and_replays():
    over = {**NONE, "dot": {"count": 10, "diameter": [8, 12], "contrast": [0.8, 0.8]}}
    dark = quiet_config((128, 128), **over)
    bright = quiet_config((128, 128), **over, invert_probability=1.0)
    scene = sample_loop_scene(bright, image_rng(3, 0))
    assert scene["invert"] is True
    img = render_loop_scene(scene).image.astype(float)
    masks = render_loop_scene(scene).masks.any(0)
    assert img[masks].mean() > img[~masks].mean() + 20  # defects brighter than background
    plain = render_loop_scene(sample_loop_scene(dark, image_rng(3, 0)))
    assert plain.image[masks].mean() < plain.image[~masks].mean()
    # a scene without the key (older records) renders as before: not inverted
    old = dict(scene)
    old.pop("invert")
    assert render_loop_scene(old).image[masks].mean() < render_loop_scene(old).image[~masks].mean()


def test_irradiated_bf_preset_generates_hundreds_of_soft_defects():
    assert "irradiated-bf" in list_loop_presets()
    cfg = load_loop_config("irradiated-bf")
    sample = generate_loop(cfg, seed=7, index=0)
    assert sample.image.shape == (512, 512) and len(sample.labels) >= 8
    again = generate_loop(cfg, seed=7, index=0)
    np.testing.assert_array_equal(sample.image, again.image)


def test_soft_blobs_keep_full_contrast_at_the_core():
    over = {
        **NONE,
        "dot": {
            "count": 6,
            "diameter": [14, 16],
            "contrast": [0.8, 0.8],
            "blur": [0.5, 0.5],
            "softness": [0.8, 0.8],
        },
    }
    cfg = quiet_config((160, 160), **over, background={"low": 0.7, "high": 0.7})
    sample = render_loop_scene(sample_loop_scene(cfg, image_rng(6, 0)))
    assert sample.labels
    for lab in sample.labels:
        cx, cy = (int(round(v)) for v in lab["ellipse"][:2])
        # blurred far beyond its size (std 12 px, 15 px across), the blob still darkens
        # its core by most of the contrast (0.8); unscaled, the blur would leave 0.13
        assert sample.image[cy, cx] <= 0.7 * 255 * (1 - 0.8 * 0.8)
