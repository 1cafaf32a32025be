import json

import numpy as np
import pytest

from temdefects.synth.curves import visible_length
from temdefects.synth.dislocations.microstructure import dislocation_curve
from temdefects.synth.dislocations.scene import generate, render_scene

from .helpers import distance_to, quiet_config, scene_for, without


def flat_config(**kw):
    return quiet_config(
        drawing={
            "profiles": ["flat"],
            "line_blur": 0.0,
            "line_width": [1.5, 3.0],
            "mask_width": 5,
            "contrast": [0.5, 0.8],
            **kw,
        },
        microstructure={"discontinuous_probability": 0.0},
    )


@pytest.mark.parametrize("seed", range(4))
def test_one_mask_per_dislocation_containing_its_line_and_nothing_else(seed):
    config = flat_config()
    scene = scene_for(config, seed=seed)
    full = render_scene(scene)
    n = len(scene["dislocations"])
    assert full.masks.shape == (n, 128, 128) and full.masks.dtype == bool
    assert n > 0
    for k in range(n):
        mask = full.masks[k]
        assert mask.any()
        # Pixels darkened by line k (it alone on the background) lie in mask k.
        alone = render_scene(without(scene, dislocations={k}, traces=set()))
        bare = render_scene(without(scene, dislocations=set(), traces=set()))
        drop = bare.image.astype(int) - alone.image.astype(int)
        strong = drop >= max(3, 0.5 * drop.max())
        assert strong.any() and mask[strong].all()
        # Every mask pixel is within mask_width / 2 of line k's centre line.
        curve = dislocation_curve(scene["dislocations"][k])
        assert distance_to(curve, np.argwhere(mask)).max() <= 2.5 + 1e-6


def test_slip_traces_are_never_in_masks():
    config = flat_config()
    config = quiet_config(
        drawing={"profiles": ["flat"], "line_blur": 0.0},
        slip_traces={"probability": 1.0, "contrast": [-0.5, -0.4], "extra": 3},
    )
    scene = scene_for(config, seed=5)
    assert scene["traces"]
    full = render_scene(scene)
    no_traces = render_scene(without(scene, traces=set()))
    assert np.array_equal(full.masks, no_traces.masks)
    traced = (no_traces.image.astype(int) - full.image.astype(int)) > 10
    union = full.masks.any(axis=0)
    assert traced.sum() > 100
    # Trace pixels only fall in masks where a dislocation line crosses them.
    curves = [dislocation_curve(d) for d in scene["dislocations"]]
    suspects = np.argwhere(traced & union)
    if len(suspects):
        assert distance_to(curves, suspects).max() <= 2.5 + 1e-6
    only_traces = render_scene(without(scene, dislocations=set()))
    assert only_traces.masks.shape[0] == 0 and (only_traces.image != full.image).any()


def test_replay_from_json_is_identical():
    config = quiet_config(drawing={"noise": {"probability": 1.0, "sigma": [0.02, 0.04]}})
    s = generate(config, seed=11, index=3)
    scene = json.loads(json.dumps(s.scene))
    again = render_scene(scene)
    assert np.array_equal(s.image, again.image) and np.array_equal(s.masks, again.masks)


def test_seeds_per_index():
    config = quiet_config()
    a, b, c = generate(config, 1, 0), generate(config, 1, 0), generate(config, 1, 1)
    assert np.array_equal(a.image, b.image)
    assert not np.array_equal(a.image, c.image)


def test_cap_and_minimum_visible_length():
    config = quiet_config(
        microstructure={
            "max_dislocations": 5,
            "min_visible_length": 30,
            "pileups": {"count": 6, "dislocations": [4, 8]},
        }
    )
    for i in range(5):
        s = generate(config, 2, i)
        assert len(s.masks) <= 5
        for d in s.scene["dislocations"]:
            assert visible_length(dislocation_curve(d), (128, 128)) >= 30


def test_dense_pileup_of_fourteen_a_few_pixels_apart():
    config = quiet_config(
        "dense",
        size=(256, 256),
        microstructure={
            "pileups": {
                "count": 1,
                "dislocations": 14,
                "spacing": 3.0,
                "spacing_growth": 1.0,
                "spacing_jitter": 0.0,
                "margin": 0.45,
                "slip_width": 120,
            },
            "min_visible_length": 0,
        },
    )
    s = generate(config, 0, 0)
    assert len(s.masks) == 14
    assert s.scene["pileups"][0]["gaps"] == pytest.approx([3.0] * 13)
    # Neighbouring masks (3 px mask width) stay distinct objects.
    assert not np.array_equal(s.masks[0], s.masks[1])


def test_gaps_fade_the_line_but_not_the_mask():
    config = flat_config()
    scene = scene_for(config, seed=1)
    scene = without(scene, dislocations={0}, traces=set())
    d = scene["dislocations"][0]
    solid = render_scene(scene)
    d["gaps"] = [[0.5, 20.0]]
    gapped = render_scene(scene)
    assert np.array_equal(solid.masks, gapped.masks)
    assert gapped.image.astype(int).sum() > solid.image.astype(int).sum()
    scene["drawing"]["gaps_in_mask"] = True
    cut = render_scene(scene)
    assert cut.masks.sum() < solid.masks.sum()


def test_beads_dot_the_line_but_not_the_mask():
    scene = without(scene_for(flat_config(), seed=1), dislocations={0}, traces=set())
    solid = render_scene(scene)
    scene["dislocations"][0]["beads"] = [0.8, 10.0, 0.0]
    beaded = render_scene(scene)
    assert np.array_equal(solid.masks, beaded.masks)
    on_line = solid.masks[0]
    assert beaded.image[on_line].astype(int).sum() > solid.image[on_line].astype(int).sum()
    # Along the line some pixels keep their darkening, the bead gaps lose it.
    change = (solid.image.astype(float) - beaded.image.astype(float))[on_line]
    assert change.min() < -20 and change.max() == 0


def test_beading_draws_no_random_number_when_off():
    """Presets without beading generate the same scenes as before the option."""
    off = scene_for(flat_config(), seed=4)
    on = scene_for(flat_config(beading_probability=1.0), seed=4)
    assert all("beads" not in d for d in off["dislocations"])
    assert on["dislocations"] and all(len(d["beads"]) == 3 for d in on["dislocations"])
    first_off, first_on = off["dislocations"][0], on["dislocations"][0]
    assert first_off["support"] == first_on["support"]  # drawn before the beads


def test_noise_after_drawing_covers_lines():
    config = flat_config()
    scene = scene_for(config, seed=2)
    clean = render_scene(scene)
    scene["drawing"]["noise"] = {"sigma": 0.05, "blur": 0.0, "seed": 3}
    noisy = render_scene(scene)
    diff = noisy.image.astype(float) - clean.image.astype(float)
    on_line = clean.masks.any(axis=0)
    assert diff[on_line].std() == pytest.approx(0.05 * 255, rel=0.25)
    assert diff[~on_line].std() == pytest.approx(0.05 * 255, rel=0.25)


def test_centre_lines_match_masks():
    s = generate(flat_config(), 4, 0)
    assert len(s.lines) == len(s.masks)
    for lines, mask in zip(s.lines, s.masks, strict=True):
        pts = np.concatenate(lines)
        cols, rows = np.rint(pts[:, 0]).astype(int), np.rint(pts[:, 1]).astype(int)
        assert mask[rows, cols].mean() > 0.99


def trace_config(**slip):
    return quiet_config(
        slip_traces={"probability": 1.0, "extra": [3, 3], "contrast": [-0.4, -0.3], **slip}
    )


def test_modulated_trace_varies_along_it_and_stays_out_of_the_masks():
    scene = without(scene_for(trace_config(), seed=2), dislocations=set())
    extra = scene["traces"][-1]  # a single extra trace
    alone = {**scene, "traces": [extra]}
    plain = render_scene(alone)
    alone["traces"] = [{**extra, "modulation": [[0.9, 12.0, 0.0], [0.0, 50.0, 0.0]]}]
    varied = render_scene(alone)
    assert not varied.masks.any()
    lightened = varied.image.astype(int) - plain.image.astype(int)
    assert lightened.min() >= 0  # the waves only take darkening away ...
    assert lightened.max() > 20  # ... and the gaps lose most of it
    on_trace = plain.image < np.median(plain.image) - 30
    assert (lightened[on_trace] <= 2).mean() > 0.1  # the crests keep it


def test_doubled_trace_is_a_parallel_pair_at_the_drawn_gap():
    scene = scene_for(trace_config(double_probability=1.0, double_gap=[6.0, 6.0]), seed=3)
    extras = scene["traces"][-3:]
    for trace in extras:
        (ax, ay, bx, by), (cx, cy, dx, dy) = trace["lines"]
        u = np.array([bx - ax, by - ay]) / np.hypot(bx - ax, by - ay)
        assert np.allclose(u, np.array([dx - cx, dy - cy]) / np.hypot(dx - cx, dy - cy))
        offset = np.array([cx - ax, cy - ay])
        assert abs(offset[0] * u[1] - offset[1] * u[0]) == pytest.approx(6.0)


def test_trace_options_draw_no_random_number_when_off():
    """Presets without the options generate the same scenes as before them."""
    off = scene_for(trace_config(), seed=5)
    on = scene_for(trace_config(modulation_probability=1.0), seed=5)
    assert all("modulation" not in t for t in off["traces"])
    assert all(len(t["modulation"]) == 2 for t in on["traces"])
    strip = [{k: v for k, v in t.items() if k != "modulation"} for t in on["traces"]]
    assert strip == off["traces"] and on["dislocations"] == off["dislocations"]
    assert all(len(t["lines"]) == 1 for t in off["traces"][-3:])


def test_soft_trace_spreads_the_same_darkening_and_a_flank_brightens_beside_it():
    scene = without(scene_for(trace_config(), seed=2), dislocations=set())
    extra = {**scene["traces"][-1], "width": 2.0, "contrast": -0.4}
    alone = {**scene, "traces": [extra]}
    bare = render_scene({**scene, "traces": []}).image.astype(float)
    sharp = render_scene(alone).image.astype(float) - bare
    alone["traces"] = [{**extra, "blur": 1.5}]
    soft = render_scene(alone).image.astype(float) - bare
    assert soft.min() > sharp.min() + 10  # shallower ...
    assert np.count_nonzero(soft < -2) > 1.5 * np.count_nonzero(sharp < -2)  # ... and wider
    assert soft.sum() == pytest.approx(sharp.sum(), rel=0.1)  # about the same darkening
    alone["traces"] = [{**extra, "flank": 0.5}]
    flanked = render_scene(alone).image.astype(float) - bare
    assert sharp.max() <= 1 and flanked.max() > 15  # a bright line beside the dark one
    assert flanked.min() == pytest.approx(sharp.min(), abs=1)


def test_blur_and_flank_draw_no_random_number_when_off():
    off = scene_for(trace_config(), seed=6)
    on = scene_for(trace_config(blur=[1.0, 2.0], flank_probability=1.0), seed=6)
    assert all("blur" not in t and "flank" not in t for t in off["traces"])
    assert all(1.0 <= t["blur"] <= 2.0 and 0.2 <= abs(t["flank"]) <= 0.8 for t in on["traces"])
    strip = [{k: v for k, v in t.items() if k not in ("blur", "flank")} for t in on["traces"]]
    assert strip == off["traces"]


def test_bend_contour_darkens_a_band_with_its_lines_but_not_the_masks():
    scene = scene_for(flat_config(), seed=1)
    plain = render_scene(scene)
    art = {
        **scene["artifacts"],
        "bend_contours": [
            {"centre": [64.0, -2000.0], "radius": 2064.0, "width": 8.0, "depth": 0.5}
        ],
    }  # a band along row 64, nearly straight
    dark = render_scene({**scene, "artifacts": art})
    assert np.array_equal(dark.masks, plain.masks)
    ratio = dark.image.astype(float) / np.maximum(plain.image.astype(float), 1.0)
    assert np.median(ratio[62:67]) == pytest.approx(0.5, abs=0.05)
    assert np.median(ratio[:20]) == pytest.approx(1.0, abs=0.02)
    on_line = plain.masks.any(axis=0)[62:67]
    assert on_line.sum() > 50  # lines cross the band; inside it they lose contrast with it
    depth_plain = np.median(plain.image[62:67]) - plain.image[62:67][on_line].mean()
    depth_dark = np.median(dark.image[62:67]) - dark.image[62:67][on_line].mean()
    assert depth_dark < 0.7 * depth_plain


def test_jpeg_compression_changes_the_image_a_little_and_replays():
    scene = scene_for(flat_config(), seed=2)
    plain = render_scene(scene)
    packed = {**scene, "artifacts": {**scene["artifacts"], "jpeg_quality": 20}}
    first, again = render_scene(packed), render_scene(json.loads(json.dumps(packed)))
    assert np.array_equal(first.image, again.image)
    assert np.array_equal(first.masks, plain.masks)
    diff = np.abs(first.image.astype(int) - plain.image.astype(int))
    assert 0 < diff.mean() < 10


def test_bend_contours_and_jpeg_draw_no_random_number_when_off():
    off = scene_for(trace_config(), seed=7)
    on = scene_for(trace_config_with_artifacts(bend_contours=[2, 2], jpeg_probability=1.0), seed=7)
    assert "bend_contours" not in off["artifacts"] and "jpeg_quality" not in off["artifacts"]
    assert (
        len(on["artifacts"]["bend_contours"]) == 2 and 30 <= on["artifacts"]["jpeg_quality"] <= 90
    )
    assert on["traces"] == off["traces"] and on["dislocations"] == off["dislocations"]


def trace_config_with_artifacts(**artifacts):
    return quiet_config(
        slip_traces={"probability": 1.0, "extra": [3, 3], "contrast": [-0.4, -0.3]},
        artifacts=artifacts,
    )
