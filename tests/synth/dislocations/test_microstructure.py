import numpy as np
import pytest

from temdefects.synth.dislocations.microstructure import random_shape
from temdefects.synth.dislocations.shapes import BUILTIN
from temdefects.synth.draw import signed_distance

from .helpers import quiet_config, scene_for


@pytest.mark.parametrize("seed", range(3))
def test_dislocations_run_from_one_slip_trace_to_the_other(seed):
    config = quiet_config(microstructure={"min_visible_length": 0, "shape": {"jitter": 0.0}})
    scene = scene_for(config, seed=seed)
    by_id = {p["id"]: p for p in scene["pileups"]}
    assert scene["dislocations"]
    for d in scene["dislocations"]:
        p = by_id[d["pileup"]]
        a, b = np.asarray(d["support"][0]), np.asarray(d["support"][-1])
        da = [abs(float(signed_distance(t, a[0], a[1]))) for t in p["traces"]]
        db = [abs(float(signed_distance(t, b[0], b[1]))) for t in p["traces"]]
        assert min(da) < 1e-3 and min(db) < 1e-3
        assert np.argmin(da) != np.argmin(db)
        gap_between = abs(float(signed_distance(p["traces"][0], *p["traces"][1][:2])))
        assert gap_between == pytest.approx(p["slip_width"], rel=1e-6)


def test_pileup_spacing_follows_the_sampled_gaps():
    config = quiet_config(
        size=(256, 256),
        microstructure={
            "min_visible_length": 0,
            "pileups": {"count": 1, "dislocations": 5, "margin": 0.4},
            "shape": {"jitter": 0.0, "variation": 0.0},
        },
    )
    scene = scene_for(config, seed=3)
    p = scene["pileups"][0]
    u = np.array([np.cos(np.radians(p["angle"])), np.sin(np.radians(p["angle"]))])
    starts = np.array([d["support"][0] for d in scene["dislocations"]])
    along = starts @ u
    assert np.abs(np.diff(along)) == pytest.approx(p["gaps"], abs=1e-3)  # 4-decimal support points
    assert len(set(np.sign(np.diff(along)))) == 1  # all trail on one side


def test_random_shape_has_its_apex_where_asked():
    from temdefects.schema import Range
    from temdefects.synth.config import ShapeConfig

    cfg = ShapeConfig(
        support_points=Range(41, 41, True), bow=Range(0.3, 0.3), asymmetry=Range(0.2, 0.2)
    )
    shp = random_shape(cfg, np.random.default_rng(0))
    assert shp[0].tolist() == [0, 0] and shp[-1].tolist() == [1, 0]
    assert shp[:, 1].max() == pytest.approx(0.3, rel=0.02)
    assert shp[np.argmax(shp[:, 1]), 0] == pytest.approx(0.7, abs=0.03)


def test_builtin_shapes_are_normalised():
    for pts in BUILTIN.values():
        assert np.allclose(pts[0], [0, 0]) and np.allclose(pts[-1], [1, 0], atol=1e-9)
