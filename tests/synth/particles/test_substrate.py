import json

import numpy as np
import pytest

from temdefects.synth.particles import (
    load_particle_config,
    render_particle_scene,
    sample_particle_scene,
)
from temdefects.synth.particles.substrate import substrate_field, substrate_mask
from temdefects.synth.scene import image_rng

SMALL = {"size": [128, 128]}


def test_the_haadf_supported_preset_replays_and_puts_particles_on_the_substrate():
    cfg = load_particle_config("haadf-supported", overrides=SMALL)
    scene = sample_particle_scene(cfg, image_rng(3, 1))
    assert scene == sample_particle_scene(cfg, image_rng(3, 1))
    replayed = json.loads(json.dumps(scene))
    a, b = render_particle_scene(scene), render_particle_scene(replayed)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.labels, b.labels)
    assert all(p["class"] == "no_fringes" for p in a.particles)
    # Every particle sits on the substrate here (on_substrate 1): its centre is covered.
    cfg = load_particle_config(
        "haadf-supported",
        overrides={**SMALL, "substrate": {"on_substrate": 1.0, "coverage": 0.4}},
    )
    scene = sample_particle_scene(cfg, image_rng(5, 2))
    mask = substrate_mask(tuple(scene["shape"]), scene["substrate"])
    assert scene["particles"]
    for p in scene["particles"]:
        x, y = p["centre"]
        assert mask[int(y), int(x)] >= 0.5


@pytest.mark.parametrize("coverage", [0.3, 0.7])
def test_the_substrate_covers_about_its_share_and_is_brighter_in_haadf(coverage):
    cfg = load_particle_config(
        "haadf-supported",
        overrides={
            **SMALL,
            "particles": {"count": 0},
            "substrate": {"coverage": coverage, "pores": 0, "streaks": 0.0, "level": 4.0},
            "imaging": {"dose": 1000},
        },
    )
    scene = sample_particle_scene(cfg, image_rng(0, 0))
    mask = substrate_mask((128, 128), scene["substrate"])
    assert abs(float((mask >= 0.5).mean()) - coverage) < 0.08
    image = render_particle_scene(scene).image.astype(float)
    assert image[mask > 0.9].mean() > image[mask < 0.1].mean() + 50


def test_pores_cut_the_substrate_and_no_substrate_draws_nothing():
    params = {
        "coverage": 1.0,
        "length_px": 30.0,
        "level": 2.0,
        "mottle": 0.0,
        "mottle_length_px": 3.0,
        "pores": [[64.0, 64.0, 10.0]],
        "edge_px": 0.0,
        "on_substrate": 0.0,
        "streaks": 0.0,
        "streak_length_px": 20.0,
        "streak_axis": 0,
        "seed": 1,
    }
    mask = substrate_mask((128, 128), params)
    assert mask[64, 64] == 0 and mask[10, 10] == 1
    assert np.allclose(substrate_field((128, 128), params)[10, 10], 2.0)
    assert not substrate_field((16, 16), None).any()
    # Presets without a substrate keep their scenes (no extra random draws).
    cfg = load_particle_config("default", overrides={**SMALL, "particles": {"diameter": 1.0}})
    assert "substrate" not in sample_particle_scene(cfg, image_rng(1, 1))


def test_streaks_run_along_one_axis():
    params = {
        "coverage": 1.0,
        "length_px": 30.0,
        "level": 0.0,
        "mottle": 0.0,
        "mottle_length_px": 3.0,
        "pores": [],
        "edge_px": 0.0,
        "on_substrate": 0.0,
        "streaks": 1.0,
        "streak_length_px": 40.0,
        "streak_axis": 0,
        "seed": 2,
    }
    field = substrate_field((128, 128), params)
    along = np.abs(np.diff(field, axis=0)).mean()  # axis 0: streaks run down the columns
    across = np.abs(np.diff(field, axis=1)).mean()
    assert along * 5 < across


def test_correlated_noise_is_drawn_only_when_on_replays_and_fills_vacuum_too():
    quiet = {
        **SMALL,
        "particles": {"count": 0},
        "substrate": {"coverage": 0.0},
        "support": {"contrast": 0.0, "undulation": 0.0},
        "imaging": {"shot_noise": False, "read_noise": 0.0, "blur": 0.0},
    }
    off = load_particle_config("haadf-supported", overrides=quiet)
    scene = sample_particle_scene(off, image_rng(4, 0))
    assert "correlated_noise" not in scene["imaging"]  # other presets draw what they drew
    flat = render_particle_scene(scene).image.astype(float)
    on = load_particle_config(
        "haadf-supported",
        overrides={**quiet, "imaging": {**quiet["imaging"], "correlated_noise": 0.5}},
    )
    scene = sample_particle_scene(on, image_rng(4, 0))
    assert (
        scene["imaging"]["correlated_noise"] == 0.5
        and 0.5 <= scene["imaging"]["noise_length_px"] <= 1.5
    )
    noisy = render_particle_scene(json.loads(json.dumps(scene))).image.astype(float)
    assert np.array_equal(noisy, render_particle_scene(scene).image)
    assert flat.std() < 1.0 < noisy.std()  # a bare film: only the added noise varies
    # neighbours are correlated (smoothed noise), unlike white noise
    a, b = noisy[:, :-1].ravel(), noisy[:, 1:].ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.2


def test_the_haadf_tomography_preset_has_bright_particles_over_a_noisy_support():
    cfg = load_particle_config("haadf-tomography", overrides={"size": [256, 256]})
    sample = render_particle_scene(sample_particle_scene(cfg, image_rng(7, 3)))
    assert "correlated_noise" in sample.scene["imaging"]
    assert all(p["class"] == "no_fringes" for p in sample.particles)
    inside, outside = sample.image[sample.labels > 0], sample.image[sample.labels == 0]
    assert inside.size and np.median(inside) > np.percentile(outside, 95)
