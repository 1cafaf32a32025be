import copy
import json
import math

import numpy as np
import pytest

from temdefects.errors import ConfigError
from temdefects.synth.particles import (
    render_particle_scene,
    sample_particle_scene,
)
from temdefects.synth.particles.support import speckle
from temdefects.synth.scene import image_rng

from .helpers import (
    D111_PX,
    band_contrast,
    fourier_phase,
    one_particle,
    peak_frequency,
    quiet_config,
    wrap,
)


def test_same_rng_same_image_and_scene_is_json():
    cfg = quiet_config(size=96, particles={"shapes": ["circle", "ellipse", "polygon"]})
    a = sample_particle_scene(cfg, image_rng(7, 3))
    b = sample_particle_scene(cfg, image_rng(7, 3))
    c = sample_particle_scene(cfg, image_rng(7, 4))
    assert a == b and a != c
    replayed = json.loads(json.dumps(a))  # scenes survive JSON exactly
    ra, rb = render_particle_scene(a), render_particle_scene(replayed)
    assert np.array_equal(ra.image, rb.image) and np.array_equal(ra.labels, rb.labels)
    assert ra.particles == rb.particles
    assert not np.array_equal(ra.image, render_particle_scene(c).image)


def test_labels_match_the_particle_table():
    cfg = quiet_config(size=160, particles={"count": 6, "diameter": [0.8, 1.2]})
    sample = render_particle_scene(sample_particle_scene(cfg, 11))
    table = sample.particles
    assert len(table) >= 3
    assert sample.labels.dtype == np.int32 and sample.labels.shape == (160, 160)
    assert set(np.unique(sample.labels)) == {0} | {p["id"] for p in table}
    for p in table:
        r = p["diameter_px"] / 2
        assert p["diameter_px"] == pytest.approx(p["diameter_nm"] * 1000 / 25.0)
        ys, xs = np.nonzero(sample.labels == p["id"])
        assert p["area_px"] == len(xs) == pytest.approx(math.pi * r * r, rel=0.04)
        assert [xs.mean(), ys.mean()] == pytest.approx(p["centre"], abs=0.3)


def test_overlapping_particles_keep_the_later_on_top():
    cfg = quiet_config(size=128, particles={"count": 1, "diameter": 1.6})
    scene = sample_particle_scene(cfg, 0)
    second = copy.deepcopy(scene["particles"][0])
    second["id"] = 2
    scene["particles"][0]["centre"] = [50.0, 64.0]
    second["centre"] = [74.0, 64.0]
    scene["particles"].append(second)
    sample = render_particle_scene(scene)
    full = math.pi * 32.0**2
    a1, a2 = (p["area_px"] for p in sample.particles)
    assert a2 == pytest.approx(full, rel=0.04) and a1 < 0.75 * full


def test_no_fault_particle_shows_the_lattice_frequency():
    scene = one_particle("no_fault", size=192)
    sample = render_particle_scene(scene)
    crop = sample.image[56:136, 56:136]
    freq, angle = peak_frequency(crop)
    # {111}: d = 4.08 / sqrt(3) Angstrom = 9.42 px at 25 pm/px
    assert 1.0 / freq == pytest.approx(D111_PX, rel=0.05)
    expected = scene["particles"][0]["lattice"]["sets"][0]["angle_deg"] % 180.0
    assert min(abs(angle - expected), 180 - abs(angle - expected)) < 3.0


def test_no_fringes_particle_has_no_bragg_peak():
    contrasts = {}
    for cls in ("no_fault", "no_fringes"):
        scene = one_particle(cls, size=192, imaging={"dose": 2000, "blur": 0.5})
        crop = render_particle_scene(scene).image[56:136, 56:136]
        contrasts[cls] = band_contrast(crop, 1.0 / D111_PX)
    assert contrasts["no_fringes"] < 30 < 300 < contrasts["no_fault"]


def test_stacking_fault_shifts_the_fringes_by_a_third_of_a_period():
    scene = one_particle("fault", size=192, defects={"kinds": ["stacking_fault"]})
    particle = scene["particles"][0]
    (plane,) = particle["planes"]
    assert abs(plane["shift"]) == pytest.approx(1 / 3)
    sample = render_particle_scene(scene)
    lattice = particle["lattice"]
    cx, cy = particle["centre"]
    y, x = np.mgrid[0:192, 0:192].astype(float)
    x, y = x - cx, y - cy
    t = math.radians(lattice["fault_normal_deg"])
    u = x * math.cos(t) + y * math.sin(t) - plane["offset_px"]
    inside = np.hypot(x, y) < 65
    s = lattice["sets"][0]
    a = math.radians(s["angle_deg"])
    g = (math.cos(a) / s["period_px"], math.sin(a) / s["period_px"])
    _, p0 = fourier_phase(sample.image, inside & (u < -4), (x, y), g)
    _, p1 = fourier_phase(sample.image, inside & (u > 4), (x, y), g)
    assert wrap((p1 - p0) / (2 * np.pi)) == pytest.approx(plane["shift"], abs=0.04)
    # the fault line of the table runs through the particle along the fault plane
    (row,) = sample.particles[0]["fault_planes"]
    (x0, y0), (x1, y1) = row["endpoints"]
    assert math.hypot(x1 - x0, y1 - y0) == pytest.approx(2 * 80, rel=0.05)
    assert math.degrees(math.atan2(y1 - y0, x1 - x0)) % 180 == pytest.approx(
        row["angle_deg"], abs=0.5
    )


def test_contrast_reversal_flips_particles_against_support():
    scene = sample_particle_scene(quiet_config(size=128, cls="no_fringes"), 3)
    diffs = {}
    for mode in ("haadf", "hrtem"):
        edited = copy.deepcopy(scene)
        edited["imaging"]["mode"] = mode
        s = render_particle_scene(edited)
        img = s.image.astype(float)
        diffs[mode] = img[s.labels > 0].mean() - img[s.labels == 0].mean()
    assert diffs["haadf"] > 20 and diffs["hrtem"] < -20


def test_uint16_output_and_empty_image():
    cfg = quiet_config(size=64, particles={"count": 0}, imaging={"dtype": "uint16"})
    sample = render_particle_scene(sample_particle_scene(cfg, 0))
    assert sample.image.dtype == np.uint16 and sample.image.max() > 60000
    assert sample.particles == [] and not sample.labels.any()


def test_support_speckle_has_a_ring_in_its_spectrum():
    params = {
        "smoothing_px": 6.0,
        "speckle_period_px": 8.0,
        "ring_width": 0.2,
        "ring_weight": 0.9,
        "seed": 1,
    }
    field = speckle((128, 128), params)
    assert field.dtype == np.float32
    assert field.mean() == pytest.approx(0, abs=1e-5) and field.std() == pytest.approx(1, rel=1e-3)
    power = np.abs(np.fft.fft2(field)) ** 2
    k = np.hypot(np.fft.fftfreq(128)[:, None], np.fft.fftfreq(128)[None, :])
    bins = np.round(k * 128).astype(int)
    radial = np.bincount(bins.ravel(), power.ravel()) / np.bincount(bins.ravel())
    ring = np.argmax(radial[8:64]) + 8  # beyond the low-pass part
    assert ring / 128 == pytest.approx(1 / 8.0, rel=0.15)
    assert radial[ring] > 3 * radial[(ring + 64) // 2]


def test_render_refuses_a_foreign_scene():
    with pytest.raises(ConfigError, match="scene.format"):
        render_particle_scene({"format": "temdefects.synth.scene/1"})
