"""Geometry and drawing of single defects on flat backgrounds."""

import json

import numpy as np
import pytest
from scipy.spatial import cKDTree

from temdefects.errors import ConfigError
from temdefects.synth.loops.ellipse import ellipse_distance, footprint, local_frame
from temdefects.synth.loops.render import box_of, ellipse_of, render_loop_scene

from .helpers import LEVEL, defect, flat_scene

BG = int(LEVEL * 255 + 0.5)  # the quantised background


def brute_distance(u, v, a, b):
    """Distance to the ellipse by nearest sample, refined around it (error < 1e-4 px)."""
    n = 20_000
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    _, i = cKDTree(np.column_stack([a * np.cos(t), b * np.sin(t)])).query(np.column_stack([u, v]))
    fine = t[i][:, None] + np.linspace(-1.0, 1.0, 201)[None, :] * (2.0 * np.pi / n)
    dist = np.hypot(u[:, None] - a * np.cos(fine), v[:, None] - b * np.sin(fine)).min(axis=1)
    return np.where((u / a) ** 2 + (v / b) ** 2 < 1, -dist, dist)


@pytest.mark.parametrize("a, b", [(20.0, 20.0), (20.0, 12.0), (15.0, 3.0), (4.0, 1.0), (40.0, 2.0)])
def test_ellipse_distance_matches_brute_force(a, b):
    rng = np.random.default_rng(0)
    u = rng.uniform(-a - 5, a + 5, 1000)
    v = rng.uniform(-b - 5, b + 5, 1000)
    assert np.abs(ellipse_distance(u, v, a, b) - brute_distance(u, v, a, b)).max() < 0.01


def test_ellipse_distance_rejects_bad_axes():
    with pytest.raises(ValueError, match="semi-axes"):
        ellipse_distance(np.zeros(2), np.zeros(2), 3.0, 0.0)


def test_mask_is_the_placement_footprint_and_box_is_tight():
    d = defect(style="solid", fill=0.6, blur=1.5, angle=70.0)
    sample = render_loop_scene(flat_scene([d]))
    y0, x0, fp = footprint(ellipse_of(d), (64, 64))
    expected = np.zeros((64, 64), bool)
    expected[y0 : y0 + fp.shape[0], x0 : x0 + fp.shape[1]] = fp
    assert np.array_equal(sample.masks[0], expected)
    x, y, w, h = sample.labels[0]["box"]
    rows, cols = np.nonzero(expected)
    assert (x, y, x + w - 1, y + h - 1) == (cols.min(), rows.min(), cols.max(), rows.max())
    assert sample.labels[0]["box"] == box_of(expected)


def test_loop111_is_an_open_dark_ring():
    d = defect()
    sample = render_loop_scene(flat_scene([d]))
    img = sample.image.astype(int)
    y0, x0, u, v = local_frame(ellipse_of(d), (64, 64), 0.0)
    dist = ellipse_distance(u, v, 20.0, 15.0)
    region = img[y0 : y0 + dist.shape[0], x0 : x0 + dist.shape[1]]
    ring = (dist > -2.5) & (dist < -0.5)  # well inside the 3 px ring
    hole = dist < -6
    assert ring.sum() > 100 and hole.sum() > 100
    assert region[ring].max() <= BG * (1 - 0.6) + 1  # full contrast on the ring
    assert np.abs(region[hole] - BG).max() <= 1  # open centre
    assert abs(img[round(d["cy"]), round(d["cx"])] - BG) <= 1
    assert img[0, 0] == BG and img[63, 63] == BG
    assert sample.masks[0][round(d["cy"]), round(d["cx"])]  # the mask is the filled ellipse


def test_dots_and_solid_loops_are_filled():
    dot = defect(**{"class": "dot"}, style="dot", major=6.0, minor=5.0, cx=15.0, cy=15.0)
    solid = defect(**{"class": "loop100"}, style="solid", fill=0.5, cx=40.0, cy=40.0)
    solid.update(major=30.0, minor=16.0, width=2.0)
    sample = render_loop_scene(flat_scene([dot, solid]))
    img = sample.image.astype(int)
    assert img[15, 15] <= BG * (1 - 0.6) + 1  # the dot's centre is at full darkness
    assert (img[sample.masks[0]] < BG - 20).all()
    centre = img[40, 40]
    assert abs(centre - BG * (1 - 0.3)) <= 2  # interior at fill * contrast
    assert (img[sample.masks[1]] < BG - 20).all()


def test_double_ring_has_two_minima_along_the_minor_axis():
    d = defect(**{"class": "loop100"}, style="double", angle=0.0, cx=32.0, cy=32.0)
    d.update(major=50.0, minor=40.0, width=2.0, gap=4.0)
    img = render_loop_scene(flat_scene([d])).image.astype(int)
    column = img[32:, 32]  # from the centre down along the minor axis, b = 20
    assert column[19] < BG - 50  # outer ring, d in [-2, 0]
    assert column[13] < BG - 50  # inner ring, d in [-8, -6]
    assert column[16] == BG  # the clear gap between them
    assert column[0] == BG  # open centre


def test_asymmetry_fades_one_side():
    d = defect(angle=0.0, cx=32.0, cy=32.0, asymmetry=1.0, phase=0.0)
    img = render_loop_scene(flat_scene([d])).image.astype(int)
    # phase 0 points along +u: the ring at x = cx + a - w/2 fades, the far side stays dark.
    assert img[32, 32 + 18] >= BG - 2
    assert img[32, 32 - 18] <= BG * (1 - 0.6) + 1


def test_blur_softens_edges_but_keeps_the_mean_darkening():
    sharp = render_loop_scene(flat_scene([defect()])).image.astype(float)
    soft = render_loop_scene(flat_scene([defect(blur=1.5)])).image.astype(float)
    assert soft.min() > sharp.min() + 10
    assert abs((BG - soft).sum() - (BG - sharp).sum()) < 0.03 * (BG - sharp).sum()


def test_rendering_is_a_pure_function_of_the_json_scene():
    scene = flat_scene([defect(blur=0.8, asymmetry=0.4, phase=77.0)])
    a = render_loop_scene(scene)
    b = render_loop_scene(json.loads(json.dumps(scene)))
    assert np.array_equal(a.image, b.image) and np.array_equal(a.masks, b.masks)
    assert a.labels == b.labels


def test_bad_scenes_are_refused():
    scene = flat_scene([defect(style="triangle")])
    with pytest.raises(ConfigError, match="style"):
        render_loop_scene(scene)
    with pytest.raises(ConfigError, match="scene.format"):
        render_loop_scene({**scene, "format": "other/1"})
    with pytest.raises(ConfigError, match=r"defects\[0\]"):
        render_loop_scene(flat_scene([defect(cx=500.0, cy=500.0)]))


def test_bend_contour_and_jpeg_shade_loop_images_but_not_their_labels():
    scene = flat_scene([defect()])
    plain = render_loop_scene(scene)
    art = {
        **scene["artifacts"],
        "bend_contours": [{"centre": [32.0, -900.0], "radius": 932.0, "width": 6.0, "depth": 0.4}],
        "jpeg_quality": 30,
    }
    shaded = render_loop_scene({**scene, "artifacts": art})
    assert np.array_equal(shaded.masks, plain.masks) and shaded.labels == plain.labels
    rows = shaded.image.astype(float).mean(axis=1) / plain.image.astype(float).mean(axis=1)
    assert rows[30:34].mean() < 0.75 and rows[:4].mean() > 0.95  # dark along row 32
